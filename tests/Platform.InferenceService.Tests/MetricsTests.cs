using System.Net.Http.Json;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class MetricsTests(InferenceHost host)
{
    [Fact]
    public async Task Metrics_ExposeSchedulerAndLatencyInstruments()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "The dog ran", max_tokens = 5, temperature = 0 });
        response.EnsureSuccessStatusCode();

        string text = "";
        for (var i = 0; i < 50 && !text.Contains("platform_inference_time_to_first_token", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            text = await host.CreateClient().GetStringAsync("/metrics");
        }
        foreach (var name in new[]
        {
            "platform_inference_queue_length", "platform_inference_running_sequences", "platform_inference_kv_blocks_used",
            "platform_inference_kv_blocks_free", "platform_inference_prefix_cache_hit_rate", "platform_inference_tokens_per_second",
            "platform_inference_admission_new_token_ratio",
            "platform_inference_time_to_first_token_seconds_bucket", "platform_inference_inter_token_latency_seconds_bucket",
            "platform_inference_generated_tokens",
        })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }
        Assert.Contains("priority=\"enterprise\"", text, StringComparison.Ordinal);
    }
}
