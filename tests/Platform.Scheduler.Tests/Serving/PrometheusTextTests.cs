using Platform.Services.Scheduler.Serving;

namespace Platform.Scheduler.Tests.Serving;

/// <summary>The parser and the Inference reading on text recorded from a real Inference host's /metrics (3 requests served).</summary>
public sealed class PrometheusTextTests
{
    private static readonly string Recorded = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serving", "Recorded", "inference-metrics.txt"));

    [Fact]
    public void ParsesTheRecordedInferenceMetrics()
    {
        var samples = PrometheusText.Parse(Recorded);
        Assert.Equal(Recorded.Split('\n').Count(l => l.Length > 0 && l[0] != '#'), samples.Count);
        var queue = samples.Where(s => s.Name == "platform_inference_queue_length").ToList();
        Assert.Equal(["enterprise", "consumer", "batch"], queue.Select(s => s.Label("priority")));
        Assert.All(queue, s => Assert.Equal("Platform.Inference", s.Label("otel_scope_name")));
        Assert.Equal(203, samples.Single(s => s.Name == "platform_inference_kv_blocks_free").Value);
        Assert.Equal(0.1821748, samples.Single(s => s.Name == "platform_inference_time_to_first_token_seconds_sum").Value, 9);
    }

    [Fact]
    public void ReadsQueueRunningKvAndTtftFromTheRecordedText()
    {
        var samples = PrometheusText.Parse(Recorded);
        var ttft = InferenceMetrics.Ttft(samples);
        Assert.Equal(3, ttft["enterprise"].Count);
        var reading = InferenceMetrics.Read("http://inference", null, DateTimeOffset.UnixEpoch, samples, ttft);
        Assert.Null(reading.Error);
        Assert.Equal(0, reading.Queue);
        Assert.Equal(0, reading.Running);
        Assert.Equal(0, reading.KvBlocksUsed);
        Assert.Equal(203, reading.KvBlocksFree);
        Assert.Equal(["batch", "consumer", "enterprise"], reading.Classes.Select(c => c.Priority));
        // The recorded histogram has OpenTelemetry's default bounds (0, 5, 10, … "seconds"): all three first tokens fall
        // in (0, 5]. Interpolation alone says 4.75 s; the sum (0.18 s) caps p95 at the largest single observation.
        Assert.Equal(0.1821748, reading.TtftP95Seconds!.Value, 6);
        Assert.Null(reading.Classes.Single(c => c.Priority == "consumer").TtftP95Seconds);
    }

    [Fact]
    public void QuantilesFollowPromQlAndUseOnlyObservationsSinceThePreviousScrape()
    {
        // histogram_quantile(0.95): rank 95 of 100 falls in (0.5, 1] holding observations 91..100 → 0.5 + 0.5 × 5/10.
        var fine = new HistogramSeries([(0.1, 50), (0.5, 90), (1, 100), (double.PositiveInfinity, 100)], Sum: 1_000);
        Assert.Equal(0.75, fine.Quantile(0.95)!.Value, 9);
        Assert.Equal(0.1, fine.Quantile(0.5)!.Value, 9);
        // In the +Inf bucket: the highest finite bound.
        Assert.Equal(1, new HistogramSeries([(1, 10), (double.PositiveInfinity, 100)], 1e9).Quantile(0.95));
        Assert.Null(new HistogramSeries([(1, 0), (double.PositiveInfinity, 0)], 0).Quantile(0.95));

        var later = new HistogramSeries([(0.1, 50), (0.5, 90), (1, 100), (double.PositiveInfinity, 120)], Sum: 1_100);
        var since = later.Since(fine);
        Assert.Equal(20, since.Count);
        Assert.Equal(100, since.Sum);
        Assert.Equal(1, since.Quantile(0.95)); // all 20 new ones were above 1 s
        Assert.Equal(0, later.Since(later).Count);
        // A restarted process (counts went down) starts over.
        Assert.Same(fine, fine.Since(later));
    }

    [Fact]
    public void HandlesEscapesTimestampsExemplarsAndOpenMetricsEof()
    {
        var samples = PrometheusText.Parse(
            "# HELP x help\n" +
            "a_total{path=\"/a\\\"b\\\\c\\nd\",empty=\"\"} 3 1700000000000\n" +
            "b{le=\"+Inf\",} +Inf\n" +
            "c NaN\n" +
            "d_bucket{le=\"0.5\"} 7 # {trace_id=\"abc\"} 0.4 1700000000.1\n" +
            "e -1.5e-3\r\n" +
            "# EOF\n");
        Assert.Equal(5, samples.Count);
        Assert.Equal("/a\"b\\c\nd", samples[0].Label("path"));
        Assert.Equal("", samples[0].Label("empty"));
        Assert.Equal(3, samples[0].Value);
        Assert.Equal(double.PositiveInfinity, samples[1].Value);
        Assert.True(double.IsNaN(samples[2].Value));
        Assert.Equal(7, samples[3].Value);
        Assert.Equal(-0.0015, samples[4].Value, 9);
    }

    [Theory]
    [InlineData("ok 1\nbad{x=\"1\" 2\n", "line 2")]
    [InlineData("ok 1\n\nx{a=1} 2", "line 3")]
    [InlineData("x twelve", "line 1: 'twelve' is not a number")]
    [InlineData("x{a=\"1\"}", "line 1: expected a value")]
    [InlineData("{a=\"1\"} 1", "line 1: expected a metric name")]
    [InlineData("x{a=\"unterminated} 1", "unterminated value of label 'a'")]
    public void AMalformedLineIsReportedWithItsNumber(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
