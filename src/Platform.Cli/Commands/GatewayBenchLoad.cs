using System.Diagnostics;

namespace Platform.Cli.Commands;

/// <summary>A closed-loop load: N workers each send one request after another for a fixed time.</summary>
internal static class GatewayBenchLoad
{
    public sealed record Result(int Completed, int Failed, double Seconds, double P50Ms, double P99Ms)
    {
        public double RequestsPerSecond => Math.Round(Completed / Seconds, 1);
    }

    public static async Task<Result> RunAsync(HttpClient client, string url, string? apiKey, int concurrency, TimeSpan warmup, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        await LoopAsync(client, url, apiKey, concurrency, warmup, record: null, cancellationToken);
        var latencies = new List<double>[concurrency];
        var failed = new int[concurrency];
        var clock = Stopwatch.StartNew();
        await LoopAsync(client, url, apiKey, concurrency, duration, (worker, ms, ok) =>
        {
            (latencies[worker] ??= []).Add(ms);
            if (!ok)
            {
                failed[worker]++;
            }
        }, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
        return new Result(all.Length - failed.Sum(), failed.Sum(), seconds, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static Task LoopAsync(HttpClient client, string url, string? apiKey, int concurrency, TimeSpan duration,
        Action<int, double, bool>? record, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (apiKey is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
                }
                var start = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    using var response = await client.SendAsync(request, cancellationToken);
                    await response.Content.LoadIntoBufferAsync(cancellationToken);
                    ok = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }
                record?.Invoke(worker, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ok);
            }
        }, cancellationToken)));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 3);
}
