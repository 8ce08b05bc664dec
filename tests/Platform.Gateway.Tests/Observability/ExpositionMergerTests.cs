using Platform.Services.Gateway.Observability;

namespace Platform.Gateway.Tests.Observability;

/// <summary>The /api/metrics merge on expositions recorded from real services (OpenTelemetry's Prometheus exporter).</summary>
public sealed class ExpositionMergerTests
{
    private static readonly string Inference = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Observability", "Recorded", "inference-metrics.txt"));
    private static readonly string Rag = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Observability", "Recorded", "rag-metrics.txt"));

    private static string Merge(params ScrapeResult[] results) => ExpositionMerger.Merge(results);

    private static ScrapeResult Up(string service, string text, string? instance = null) =>
        new(service, instance, ExpositionParser.Parse(text), TimeSpan.FromMilliseconds(12));

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Every_sample_gets_the_service_label_with_or_without_labels_of_its_own()
    {
        var merged = Merge(Up("inference", Inference), Up("rag", Rag));
        var samples = Lines(merged).Where(l => !l.StartsWith('#')).ToList();
        Assert.All(samples, l => Assert.Matches("^[a-zA-Z_:][a-zA-Z0-9_:]*\\{service=\"[a-z]+\"", l));
        Assert.Contains("platform_rag_untyped_gauge{service=\"rag\"} 2.5e-3", samples);
        Assert.Contains("platform_rag_untyped_gauge{service=\"rag\",kind=\"x\"} NaN", samples);
        Assert.Contains("platform_inference_tokens_per_second{service=\"inference\",otel_scope_name=\"Platform.Inference\",model=\"stories\"} 12", samples);
        // Every sample of both services is there, exactly once.
        var input = Lines(Inference).Concat(Lines(Rag)).Count(l => !l.StartsWith('#'));
        Assert.Equal(input + 4, samples.Count); // + platform_scrape_up and _duration for two services
    }

    [Fact]
    public void Escaped_label_values_and_help_text_pass_through_unchanged_and_a_clashing_label_is_kept_as_exported()
    {
        var merged = Merge(Up("inference", Inference), Up("rag", Rag));
        Assert.Contains(
            "platform_rag_retrievals_total{service=\"rag\",otel_scope_name=\"Platform.Rag\",mode=\"hybrid\",exported_service=\"kb \\\"alpha\\\"\",note=\"a\\\\b\\nc, d}e\"} 17 1764134400000\n",
            merged);
        Assert.Contains(
            "platform_rag_retrievals_total{service=\"rag\",otel_scope_name=\"Platform.Rag\",mode=\"vector\",exported_exported_service=\"kb-beta\",exported_service=\"x\"} 3\n",
            merged);
        Assert.Contains("# HELP platform_rag_retrievals_total Retrievals by mode; a \"quoted\" \\\\ help with a line\\nbreak\n", merged);

        var reparsed = ExpositionParser.Parse(merged).Single(f => f.Name == "platform_rag_retrievals_total");
        var hybrid = reparsed.Samples[0].Labels.ToDictionary(l => l.Key, l => l.Value);
        Assert.Equal("a\\\\b\\nc, d}e", hybrid["note"]);
        Assert.Equal("kb \\\"alpha\\\"", hybrid["exported_service"]);
    }

    [Fact]
    public void Each_family_has_its_help_and_type_once_with_the_samples_of_every_service_together()
    {
        var merged = Merge(Up("inference", Inference), Up("rag", Rag));
        var lines = Lines(merged);
        var types = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.Single(lines, "# TYPE http_server_request_duration_seconds histogram");
        Assert.Single(lines, "# HELP target_info Target metadata");

        // The histogram's lines are one contiguous block: its TYPE, then both services' buckets, sums and counts.
        var start = Array.IndexOf(lines, "# TYPE http_server_request_duration_seconds histogram");
        var block = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal) || l.StartsWith("# HELP http_server_request_duration_seconds", StringComparison.Ordinal)).ToList();
        Assert.Contains(block, l => l.Contains("service=\"inference\"", StringComparison.Ordinal) && l.Contains("_sum{", StringComparison.Ordinal));
        Assert.Contains(block, l => l.Contains("service=\"rag\"", StringComparison.Ordinal) && l.Contains("le=\"+Inf\"", StringComparison.Ordinal));
        Assert.DoesNotContain(lines.Skip(start + 1 + block.Count), l => l.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));

        var families = ExpositionParser.Parse(merged);
        Assert.Equal(families.Count, families.Select(f => f.Name).Distinct().Count());
        Assert.Equal("histogram", families.Single(f => f.Name == "http_server_request_duration_seconds").Type);
        Assert.Equal(2, families.Single(f => f.Name == "target_info").Samples.Count);
    }

    [Fact]
    public void A_service_that_is_down_is_reported_as_scrape_up_0_and_the_others_still_come_through()
    {
        var down = new ScrapeResult("scheduler", null, null, TimeSpan.FromSeconds(2), "no answer within 2000 ms");
        var merged = Merge(Up("inference", Inference), down, Up("rag", Rag));
        Assert.Contains("platform_scrape_up{service=\"inference\"} 1\n", merged);
        Assert.Contains("platform_scrape_up{service=\"scheduler\"} 0\n", merged);
        Assert.Contains("platform_scrape_up{service=\"rag\"} 1\n", merged);
        Assert.Contains("platform_scrape_duration_seconds{service=\"scheduler\"} 2\n", merged);
        Assert.Contains("platform_scrape_duration_seconds{service=\"rag\"} 0.012\n", merged);
        Assert.Contains("# TYPE platform_scrape_up gauge\n", merged);
        Assert.DoesNotContain(Lines(merged), l => !l.StartsWith("platform_scrape", StringComparison.Ordinal) && l.Contains("service=\"scheduler\"", StringComparison.Ordinal));
        Assert.Contains("platform_inference_kv_blocks_free{service=\"inference\"", merged);
    }

    [Fact]
    public void Replicas_of_one_service_are_told_apart_by_instance()
    {
        var merged = Merge(Up("inference", Inference, "10.0.0.1:8080"), Up("inference", Inference, "10.0.0.2:8080"));
        Assert.Contains("platform_scrape_up{service=\"inference\",instance=\"10.0.0.1:8080\"} 1\n", merged);
        Assert.Contains("platform_inference_tokens_per_second{service=\"inference\",instance=\"10.0.0.2:8080\",otel_scope_name=\"Platform.Inference\",model=\"stories\"} 12\n", merged);
    }

    [Fact]
    public void A_family_with_another_type_than_an_earlier_service_declared_is_left_out_for_that_service()
    {
        const string first = "# TYPE jobs gauge\njobs{q=\"a\"} 1\n";
        const string second = "# TYPE jobs counter\njobs{q=\"b\"} 2\n# TYPE other gauge\nother 3\n";
        var dropped = new List<string>();
        var merged = ExpositionMerger.Merge([Up("finetune", first), Up("scheduler", second)], (from, family, _) => dropped.Add($"{from.Service}/{family.Name}"));
        Assert.Equal(["scheduler/jobs"], dropped);
        Assert.Contains("jobs{service=\"finetune\",q=\"a\"} 1\n", merged);
        Assert.DoesNotContain("q=\"b\"", merged);
        Assert.Contains("other{service=\"scheduler\"} 3\n", merged);
        Assert.Single(Lines(merged), "# TYPE jobs gauge");
    }

    [Fact]
    public void A_help_text_missing_at_the_first_service_is_taken_from_a_later_one()
    {
        var merged = Merge(Up("rag", "# TYPE q gauge\nq 1\n"), Up("scheduler", "# HELP q Queue length.\n# TYPE q gauge\nq 2\n"));
        Assert.Equal(["# HELP q Queue length.", "# TYPE q gauge", "q{service=\"rag\"} 1", "q{service=\"scheduler\"} 2"], Lines(merged).Take(4));
    }

    [Fact]
    public void A_service_cannot_forge_the_gateways_scrape_report()
    {
        var merged = Merge(Up("rag", "# TYPE platform_scrape_up gauge\nplatform_scrape_up{service=\"inference\"} 1\n"));
        Assert.Equal(["platform_scrape_up{service=\"rag\"} 1"], Lines(merged).Where(l => l.StartsWith("platform_scrape_up{", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("metric{a=\"unterminated} 1", "line 1")]
    [InlineData("# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1", "line 2")]
    [InlineData("x{1a=\"1\"} 1", "label name")]
    [InlineData("x{a=1} 1", "quoted")]
    [InlineData("x one", "invalid value")]
    [InlineData("x 1 soon", "invalid value")]
    [InlineData("x{a=\"1\"}1", "expected a space")]
    [InlineData("# TYPE x histogramm", "unknown metric type")]
    [InlineData("<html>", "metric name")]
    public void Malformed_expositions_are_refused_with_the_line(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => ExpositionParser.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenMetrics_comments_and_blank_lines_are_skipped()
    {
        var families = ExpositionParser.Parse("# TYPE c counter\n# UNIT c seconds\n\nc_total 1\nc_created 1.7e9\n# EOF\n");
        var family = Assert.Single(families);
        Assert.Equal(["c_total", "c_created"], family.Samples.Select(s => s.Name));
    }
}
