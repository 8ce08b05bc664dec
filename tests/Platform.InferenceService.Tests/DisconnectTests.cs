using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Services.Inference.Models;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class DisconnectTests(InferenceHost host)
{
    [Fact]
    public async Task ClientDisconnect_CancelsTheSequenceAndFreesItsBlocks()
    {
        var engine = host.Services.GetRequiredService<ModelCatalog>().Engines[InferenceHost.Model];
        var cancelledBefore = engine.Stats.Cancelled;
        using var http = host.Client();
        using var cts = new CancellationTokenSource();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = InferenceHost.Model, prompt = "Once upon a time", max_tokens = 480, ignore_eos = true, temperature = 0, stream = true }),
        };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        var buffer = new byte[64];
        Assert.True(await stream.ReadAsync(buffer, cts.Token) > 0);
        Assert.True(engine.Stats.Running.Sum() + engine.Stats.Waiting.Sum() >= 1);

        await cts.CancelAsync();
        response.Dispose();

        for (var i = 0; i < 300 && (engine.Stats.Running.Sum() > 0 || engine.Stats.KvBlocksUsed > 0); i++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(0, engine.Stats.Running.Sum());
        Assert.Equal(0, engine.Stats.KvBlocksUsed);
        Assert.Equal(cancelledBefore + 1, engine.Stats.Cancelled);
    }
}
