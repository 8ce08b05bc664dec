using System.Diagnostics;

namespace Platform.Cli.Commands;

/// <summary>
/// Two loads over N keep-alive connections. Closed loop (<see cref="RunAsync"/>): each worker sends
/// one request after another, which finds the saturation throughput but makes latency mostly queueing
/// (Little's law: latency = connections ÷ throughput). Open loop (<see cref="RunAtRateAsync"/>, as
/// wrk2 and Nighthawk do): requests leave on a fixed schedule and each latency counts from its
/// scheduled send time, so a stall is charged to every request it delayed (no coordinated omission).
/// </summary>
internal static class GatewayBenchLoad
{
    /// <param name="Spent">What the gateway process spent during the measured part, when a probe was given.</param>
    public sealed record Result(int Completed, int Failed, double Seconds, double P50Ms, double P99Ms, GatewayBenchProbe.Spent? Spent = null)
    {
        public double RequestsPerSecond => Math.Round(Completed / Seconds, 1);
    }

    public static async Task<Result> RunAsync(HttpClient client, string url, string? apiKey, int concurrency, TimeSpan warmup, TimeSpan duration,
        CancellationToken cancellationToken, GatewayBenchProbe? probe = null)
    {
        await LoopAsync(client, url, apiKey, concurrency, warmup, record: null, cancellationToken);
        return await MeasureAsync(concurrency, record => LoopAsync(client, url, apiKey, concurrency, duration, record, cancellationToken), probe, cancellationToken);
    }

    /// <summary>Sends <paramref name="rate"/> requests per second in total, spread evenly over the workers.</summary>
    public static async Task<Result> RunAtRateAsync(HttpClient client, string url, string? apiKey, int concurrency, double rate, TimeSpan warmup,
        TimeSpan duration, CancellationToken cancellationToken, GatewayBenchProbe? probe = null)
    {
        await ScheduleAsync(client, url, apiKey, concurrency, rate, warmup, record: null, cancellationToken);
        return await MeasureAsync(concurrency, record => ScheduleAsync(client, url, apiKey, concurrency, rate, duration, record, cancellationToken), probe, cancellationToken);
    }

    private static async Task<Result> MeasureAsync(int concurrency, Func<Action<int, double, bool>, Task> load, GatewayBenchProbe? probe,
        CancellationToken cancellationToken)
    {
        var before = probe is null ? null : await probe.ReadAsync(cancellationToken);
        var latencies = new List<double>[concurrency];
        var failed = new int[concurrency];
        var clock = Stopwatch.StartNew();
        await load((worker, ms, ok) =>
        {
            (latencies[worker] ??= []).Add(ms);
            if (!ok)
            {
                failed[worker]++;
            }
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var after = probe is null ? null : await probe.ReadAsync(cancellationToken);
        var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
        var spent = before is null || after is null ? null : GatewayBenchProbe.Spent.Between(before, after, all.Length, seconds);
        return new Result(all.Length - failed.Sum(), failed.Sum(), seconds, Percentile(all, 0.50), Percentile(all, 0.99), spent);
    }

    private static Task ScheduleAsync(HttpClient client, string url, string? apiKey, int concurrency, double rate, TimeSpan duration,
        Action<int, double, bool>? record, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var until = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var interval = concurrency / rate * Stopwatch.Frequency;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            for (var k = 0L; ; k++)
            {
                var due = start + (long)((worker / (double)concurrency + k) * interval);
                if (due >= until || cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
                var ok = await SendAsync(client, url, apiKey, cancellationToken);
                record?.Invoke(worker, Stopwatch.GetElapsedTime(due).TotalMilliseconds, ok);
            }
        }, cancellationToken)));
    }

    private static async Task<bool> SendAsync(HttpClient client, string url, string? apiKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        }
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static Task LoopAsync(HttpClient client, string url, string? apiKey, int concurrency, TimeSpan duration,
        Action<int, double, bool>? record, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                var ok = await SendAsync(client, url, apiKey, cancellationToken);
                record?.Invoke(worker, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ok);
            }
        }, cancellationToken)));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 3);
}
