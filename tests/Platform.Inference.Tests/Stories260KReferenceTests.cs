using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using TorchSharp;

namespace Platform.Inference.Tests;

/// <summary>Reproduces Karpathy's llama2.c run.c greedy outputs with the HF-format stories260K checkpoint.</summary>
public sealed class Stories260KReferenceTests : IClassFixture<Stories260KFixture>
{
    private readonly Stories260KFixture _fixture;

    public Stories260KReferenceTests(Stories260KFixture fixture) => _fixture = fixture;

    public static TheoryData<int> CaseIndexes()
    {
        var data = new TheoryData<int>();
        var count = TestData.Json("models", "stories260K", "reference.json").GetProperty("cases").GetArrayLength();
        for (var i = 0; i < count; i++)
        {
            data.Add(i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Greedy_continuation_matches_run_c_token_for_token(int index)
    {
        var c = TestData.Json("models", "stories260K", "reference.json").GetProperty("cases")[index];
        AssertReproduces(c);
    }

    [Fact]
    public void Upstream_goldens_written_by_Karpathy_are_reproduced()
    {
        foreach (var golden in TestData.Json("models", "stories260K", "reference.json").GetProperty("upstream_goldens").EnumerateArray())
        {
            AssertReproduces(golden);
        }
    }

    private void AssertReproduces(JsonElement c)
    {
        var prompt = c.GetProperty("prompt").GetString()!;
        var steps = c.GetProperty("steps").GetInt32();
        var promptIds = _fixture.Model.Tokenizer.Encode(prompt);
        if (c.TryGetProperty("prompt_token_ids", out var expectedPrompt))
        {
            Assert.Equal(expectedPrompt.Ints(), promptIds);
        }
        var expected = c.TryGetProperty("generated_token_ids", out var generated)
            ? generated.Ints()
            : c.GetProperty("expected_token_ids").Ints()[promptIds.Count..];
        // run.c's steps count prompt positions too: the last prompt position already yields a new token.
        var maxTokens = steps - promptIds.Count + 1;
        var result = _fixture.Model.CreateGenerator().Complete(promptIds,
            new SamplingParameters { Temperature = 0, MaxTokens = maxTokens });
        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(expected.Length == maxTokens ? FinishReason.Length : FinishReason.Stop, result.FinishReason);
        Assert.Equal(c.GetProperty("expected_text").GetString(), prompt + result.Text);
    }

    [Fact]
    public void Logits_match_run_c_at_every_position()
    {
        var reference = TestData.Json("models", "stories260K", "reference.json").GetProperty("logits");
        var ids = reference.GetProperty("token_ids").Ints();
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        var input = torch.tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        var logits = _fixture.Model.Model.forward(input);
        var maxDiff = 0.0;
        foreach (var position in reference.GetProperty("positions").EnumerateArray())
        {
            var pos = position.GetProperty("pos").GetInt32();
            var expected = position.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var actual = logits[0, pos].data<float>().ToArray();
            for (var v = 0; v < expected.Length; v++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[v] - actual[v]));
            }
        }
        Assert.True(maxDiff < 1e-4, $"max |ours - run.c| = {maxDiff}");
    }
}

public sealed class Stories260KFixture : IDisposable
{
    public LoadedModel Model { get; } = ModelLoader.Load(TestData.Stories260KHf);

    public void Dispose() => Model.Dispose();
}
