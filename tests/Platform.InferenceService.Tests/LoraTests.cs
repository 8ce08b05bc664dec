using System.Net.Http.Json;
using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Serving;

namespace Platform.InferenceService.Tests;

/// <summary>Multi-LoRA serving: adapter = merged weights; a mixed batch of adapters and base = each alone.</summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class LoraTests(InferenceHost host) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lora-tests-").FullName;

    private static string Greedy(LoadedModel model, IReadOnlyList<int> prompt, int max) =>
        model.CreateGenerator().Complete(prompt, new SamplingParameters { Temperature = 0, MaxTokens = max }).Text;

    [Fact]
    public async Task AdapterOutput_EqualsMergedWeightsOutput_AndDiffersFromBase()
    {
        var adapter = AdapterFiles.Write(Path.Combine(_root, "adapters", "one"), seed: 7, rank: 4, alpha: 8, "q_proj", "v_proj", "o_proj", "gate_proj", "down_proj");
        using var merged = ModelLoader.Load(AdapterFiles.Merge(adapter, Path.Combine(_root, "merged")));
        var model = ModelLoader.Load(InferenceHost.StoriesDir);
        using var adapters = new AdapterRegistry("stories", model.Model, n => Path.Combine(_root, "adapters", n), 4);
        using var engine = EngineHarness.Start(model: model, adapters: adapters);

        var prompts = EngineHarness.MixedPrompts(4);
        var differs = false;
        foreach (var prompt in prompts)
        {
            var withAdapter = await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 30, adapter: "one"));
            Assert.Equal(Greedy(merged, prompt, 30), withAdapter.Text);
            differs |= withAdapter.Text != Reference.Greedy(prompt, 30).Text;
        }
        Assert.True(differs, "the adapter should change the output");
    }

    [Fact]
    public async Task MixedBatchOfFourAdaptersAndBase_EqualsEachAlone()
    {
        var dirs = Path.Combine(_root, "adapters");
        AdapterFiles.Write(Path.Combine(dirs, "a1"), 11, 2, 4, "q_proj", "v_proj");
        AdapterFiles.Write(Path.Combine(dirs, "a2"), 12, 8, 16, "gate_proj", "up_proj", "down_proj");
        AdapterFiles.Write(Path.Combine(dirs, "a3"), 13, 4, 4, "q_proj", "k_proj", "v_proj", "o_proj");
        AdapterFiles.Write(Path.Combine(dirs, "a4"), 14, 16, 8, "o_proj", "down_proj");
        var model = ModelLoader.Load(InferenceHost.StoriesDir);
        using var adapters = new AdapterRegistry("stories", model.Model, n => Path.Combine(dirs, n), 8);
        using var engine = EngineHarness.Start(model: model, adapters: adapters);
        var prompts = EngineHarness.MixedPrompts(2);
        string?[] names = [null, "a1", "a2", "a3", "a4"];
        var requests = names.SelectMany(n => prompts.Select((p, i) => EngineHarness.Greedy(p, 24 + i * 9, adapter: n))).ToList();

        var alone = new List<string>();
        foreach (var request in requests)
        {
            alone.Add((await EngineHarness.Run(engine, request)).Text);
        }
        var together = await Task.WhenAll(requests.Select(r => EngineHarness.Run(engine, r with { CacheSalt = "mixed" })));

        Assert.Equal(alone, together.Select(t => t.Text));
        Assert.Equal(5, alone.Where((_, i) => i % 2 == 0).Distinct().Count());
        Assert.Equal(4, adapters.LoadedCount);
    }

    [Fact]
    public async Task TheStack_IsKeptWhileItHoldsTheBatchsAdapters_AndMaskedRowsChangeNothing()
    {
        var dirs = Path.Combine(_root, "adapters");
        AdapterFiles.Write(Path.Combine(dirs, "s1"), 61, 4, 8, "q_proj", "v_proj", "down_proj");
        AdapterFiles.Write(Path.Combine(dirs, "s2"), 62, 8, 8, "k_proj", "o_proj", "up_proj");
        var model = ModelLoader.Load(InferenceHost.StoriesDir);
        using var adapters = new AdapterRegistry("stories", model.Model, n => Path.Combine(dirs, n), 4);
        using var engine = EngineHarness.Start(model: model, adapters: adapters);
        var prompts = EngineHarness.MixedPrompts(2);

        var first = await EngineHarness.Run(engine, EngineHarness.Greedy(prompts[0], 20, adapter: "s1"));
        Assert.Equal(1, engine.Stats.AdapterStackBuilds);
        // s2 is missing from the stack of s1: rebuilt once for both, whichever step s2 joins.
        await Task.WhenAll(EngineHarness.Run(engine, EngineHarness.Greedy(prompts[0], 20, "b", adapter: "s1")),
            EngineHarness.Run(engine, EngineHarness.Greedy(prompts[1], 20, "b", adapter: "s2")));
        Assert.Equal(2, engine.Stats.AdapterStackBuilds);
        // Each alone again: the stack of both serves them, the other adapter's rows masked off.
        var again = await EngineHarness.Run(engine, EngineHarness.Greedy(prompts[0], 20, "c", adapter: "s1"));
        await EngineHarness.Run(engine, EngineHarness.Greedy(prompts[1], 20, "c", adapter: "s2"));
        Assert.Equal(2, engine.Stats.AdapterStackBuilds);
        Assert.Equal(first.Text, again.Text);
    }

    [Fact]
    public async Task AdapterLru_EvictsBeyondBound()
    {
        var dirs = Path.Combine(_root, "adapters");
        foreach (var i in Enumerable.Range(1, 3))
        {
            AdapterFiles.Write(Path.Combine(dirs, "e" + i), 20 + i, 2, 2, "q_proj");
        }
        var model = ModelLoader.Load(InferenceHost.StoriesDir);
        using var adapters = new AdapterRegistry("stories", model.Model, n => Path.Combine(dirs, n), 2);
        using var engine = EngineHarness.Start(model: model, adapters: adapters);
        var prompt = EngineHarness.MixedPrompts(1)[0];
        var first = await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 12, adapter: "e1"));
        await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 12, adapter: "e2"));
        await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 12, adapter: "e3"));
        Assert.Equal(["e2", "e3"], adapters.LoadedNames.Order());
        // Reloaded after eviction, and its prefix blocks from the first load are keyed by folder, still correct.
        Assert.Equal(first.Text, (await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 12, adapter: "e1"))).Text);
    }

    [Fact]
    public async Task Http_BaseColonAdapter_ServesTheAdapter()
    {
        var adapter = AdapterFiles.Write(Path.Combine(host.AdaptersDir, "http-adapter"), 31, 4, 8, "q_proj", "v_proj", "down_proj");
        using var merged = ModelLoader.Load(AdapterFiles.Merge(adapter, Path.Combine(_root, "merged-http")));
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = "stories:http-adapter", prompt = "Once upon a time", max_tokens = 20, temperature = 0 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stories:http-adapter", body.GetProperty("model").GetString());
        Assert.Equal(Greedy(merged, merged.Tokenizer.Encode("Once upon a time"), 20), body.GetProperty("choices")[0].GetProperty("text").GetString());
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "stories:http-adapter");
    }

    [Fact]
    public async Task Http_TenantsOwnFineTunedAdapter_IsServedToThatTenantOnly()
    {
        var owner = Guid.NewGuid();
        var adapter = AdapterFiles.Write(Path.Combine(host.ModelsDir, "adapters", owner.ToString(), "stories:mine"), 51, 4, 8, "q_proj", "o_proj");
        using var merged = ModelLoader.Load(AdapterFiles.Merge(adapter, Path.Combine(_root, "merged-tenant")));
        var request = new { model = "stories:mine", prompt = "The little dog", max_tokens = 16, temperature = 0 };

        using var ownerClient = host.Client(Platform.TestKit.SignedCaller.Tenant(owner));
        var body = await (await ownerClient.PostAsJsonAsync("/v1/completions", request)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Greedy(merged, merged.Tokenizer.Encode("The little dog"), 16), body.GetProperty("choices")[0].GetProperty("text").GetString());
        var ownerModels = await ownerClient.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Contains(ownerModels.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "stories:mine");

        using var otherClient = host.Client(Platform.TestKit.SignedCaller.Tenant(Guid.NewGuid()));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await otherClient.PostAsJsonAsync("/v1/completions", request)).StatusCode);
        var otherModels = await otherClient.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.DoesNotContain(otherModels.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "stories:mine");
    }

    [Fact]
    public async Task Http_DefectiveAdapter_Is400NamingTheProblem()
    {
        var dir = Path.Combine(host.AdaptersDir, "broken");
        AdapterFiles.Write(dir, 41, 4, 8, "q_proj");
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":5,\"lora_alpha\":8,\"target_modules\":[\"q_proj\"]}");
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = "stories:broken", prompt = "Hi" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Contains("shape", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
