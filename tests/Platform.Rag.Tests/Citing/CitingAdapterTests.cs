using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Training;
using Xunit.Abstractions;

namespace Platform.Rag.Tests.Citing;

/// <summary>
/// The citing LoRA adapter (<see cref="CitingAdapterFixture"/>), trained once for this class. First
/// what it learned, read back from its PEFT files (so a broken trainer, saver or
/// loader fails here): on held-out RAG prompts it answers in the trained shape, the asked child's
/// name and "has a …", then
/// a source number. What it does not learn in this budget (docs/rag.md, "A model that cites"): which
/// source holds the answer (its numbers are right at chance level, measured and printed) and the
/// closing bracket, so it writes no complete [n] marker. Then the same adapter served by the real
/// Inference host as each tenant's own fine-tuned adapter, answering through the real Rag and
/// Ingestion hosts.
/// </summary>
[Collection(nameof(RagCollection))]
public sealed partial class CitingAdapterTests(RagFixture fx, CitingAdapterFixture adapter, ITestOutputHelper output) : IClassFixture<CitingAdapterFixture>
{
    private const int HeldOut = 12;

    [GeneratedRegex(@"\[(\d)\]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\d")]
    private static partial Regex Digit();

    [Fact]
    public async Task On_held_out_prompts_the_adapter_answers_in_the_trained_shape_the_asked_childs_sentence_then_a_source_number()
    {
        output.WriteLine(adapter.Describe());
        Assert.True(adapter.LongestPromptTokens <= 512, $"a training example has {adapter.LongestPromptTokens} tokens");
        Assert.True(adapter.ValidationLossAfter < 0.3 * adapter.ValidationLossBefore, adapter.Describe());

        using var loaded = ModelLoader.Load(CitingAdapterFixture.ModelDir);
        using var delta = PeftAdapter.Load(adapter.AdapterDir, loaded.Model);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 20 };
        var right = 0;
        var brackets = 0;
        for (var i = CitingAdapterFixture.HeldOutFrom; i < CitingAdapterFixture.HeldOutFrom + HeldOut; i++)
        {
            var example = CitationDataset.Make(i);
            var prompt = loaded.Tokenizer.Encode(await CitationDataset.PromptAsync(i));
            var baseText = loaded.CreateGenerator().Complete(prompt, greedy).Text;
            loaded.Model.SetLowRankDelta(delta);
            var text = loaded.CreateGenerator().Complete(prompt, greedy).Text;
            loaded.Model.SetLowRankDelta(null);
            output.WriteLine($"expected \"{example.Completion}\" → adapter \"{text}\" · base \"{baseText}\"");
            Assert.False(baseText.TrimStart().StartsWith($"{example.Sources[example.Answer - 1].Name} has a ", StringComparison.Ordinal),
                "the base model already answers in the trained shape");

            var name = example.Sources[example.Answer - 1].Name;
            Assert.StartsWith($"{name} has a ", text.TrimStart(), StringComparison.Ordinal);
            var number = FirstNumberAfterSentence(text);
            Assert.True(number is >= 1 and <= 3, $"no source number after the sentence: \"{text}\"");
            right += number == example.Answer ? 1 : 0;
            brackets += text.Contains($"[{number}", StringComparison.Ordinal) ? 1 : 0;
        }
        // Measured, not asserted: which source it names is at chance (1 in 3); see docs/rag.md.
        output.WriteLine($"number of the source holding the answer: {right}/{HeldOut}; opening bracket before it: {brackets}/{HeldOut}");
    }

    [Fact]
    public async Task Served_through_rag_as_a_tenant_adapter_it_answers_from_the_tenants_own_sources_and_another_tenant_gets_nothing_of_them()
    {
        var tenantA = Guid.NewGuid();
        var tenantB = Guid.NewGuid();
        using var ingestA = fx.IngestionFor(tenantA);
        var kbA = await RagFixture.CreateKbAsync(ingestA, "a-children");
        var docs = new Dictionary<string, Guid>
        {
            ["Lily"] = await RagFixture.UploadReadyAsync(ingestA, kbA, "park.txt", "Lily has a red ball."),
            ["Tom"] = await RagFixture.UploadReadyAsync(ingestA, kbA, "farm.txt", "Tom has a big dog."),
            ["Sue"] = await RagFixture.UploadReadyAsync(ingestA, kbA, "home.txt", "Sue has a pink hat."),
        };
        using var ingestB = fx.IngestionFor(tenantB);
        var kbB = await RagFixture.CreateKbAsync(ingestB, "b-children");
        await RagFixture.UploadReadyAsync(ingestB, kbB, "shop.txt", "Ben has a green boat.");
        await RagFixture.UploadReadyAsync(ingestB, kbB, "school.txt", "Mia has a soft cat.");

        var model = fx.InstallTenantAdapter(tenantA, "cite", adapter.AdapterDir);
        fx.InstallTenantAdapter(tenantB, "cite", adapter.AdapterDir);
        using var a = await ClientWithTemplateAsync(tenantA);
        using var b = await ClientWithTemplateAsync(tenantB);

        // One question per document of A's: each answer has the trained shape (the asked child's sentence,
        // then a source number); every [n] it writes is a citation of that source's chunk, all A's own.
        var right = 0;
        foreach (var (name, doc) in docs)
        {
            var (text, last) = await AskStreamingAsync(a, model, kbA, $"What does {name} have?");
            var sources = last.GetProperty("sources").EnumerateArray().ToList();
            var number = FirstNumberAfterSentence(text);
            output.WriteLine($"A asks about {name}: \"{text}\"; sources {string.Join(", ", sources.Select(s => s.GetProperty("title").GetString()))}");
            Assert.StartsWith($"{name} has a ", text.TrimStart(), StringComparison.Ordinal);
            Assert.All(sources, s => Assert.Equal(kbA, s.GetProperty("knowledge_base_id").GetGuid()));
            Assert.True(number is >= 1 && number <= sources.Count, $"no source number after the sentence: \"{text}\"");
            right += sources[number!.Value - 1].GetProperty("document_id").GetGuid() == doc ? 1 : 0;

            // Citations are exactly the [n] markers the answer contains, each mapped to its source's chunk.
            var markers = Marker().Matches(text).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Where(m => m <= sources.Count).ToList();
            var citations = last.GetProperty("citations").EnumerateArray().ToList();
            Assert.Equal(markers.Distinct(), citations.Select(c => c.GetProperty("index").GetInt32()));
            foreach (var citation in citations)
            {
                var source = sources[citation.GetProperty("index").GetInt32() - 1];
                Assert.Equal(source.GetProperty("id").GetGuid(), citation.GetProperty("chunk_id").GetGuid());
                Assert.Equal(source.GetProperty("document_id").GetGuid(), citation.GetProperty("document_id").GetGuid());
            }
        }
        output.WriteLine($"A's answers naming the asked child's source: {right}/{docs.Count} (measured, not asserted: chance level)");

        // Tenant B asks the same question over its own knowledge base: nothing of A's is a source or a citation.
        var (textB, lastB) = await AskStreamingAsync(b, model, kbB, "What does Tom have?");
        output.WriteLine($"tenant B's answer: \"{textB}\"");
        Assert.All(lastB.GetProperty("sources").EnumerateArray(), s => Assert.Equal(kbB, s.GetProperty("knowledge_base_id").GetGuid()));
        Assert.All(lastB.GetProperty("citations").EnumerateArray(), c =>
        {
            Assert.DoesNotContain(c.GetProperty("document_id").GetGuid(), docs.Values);
            Assert.Equal(kbB, c.GetProperty("knowledge_base_id").GetGuid());
        });
        Assert.All(docs.Values, doc => Assert.DoesNotContain(doc.ToString(), lastB.GetRawText(), StringComparison.OrdinalIgnoreCase));

        // B cannot name A's knowledge base.
        using var foreign = await b.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            model, messages = new[] { new { role = "user", content = "What does Tom have?" } },
            knowledge_base_ids = new[] { kbA }, template = "cite", max_tokens = 24, temperature = 0,
        });
        var error = await foreign.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Contains("knowledge_base_not_found", error, StringComparison.Ordinal);
        Assert.DoesNotContain("big dog", error, StringComparison.Ordinal);
    }

    private async Task<HttpClient> ClientWithTemplateAsync(Guid tenant)
    {
        var client = fx.RagWithModel(tenant);
        using var put = await client.PutAsJsonAsync("/v1/rag/templates/cite", new { template = CitationDataset.Template });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return client;
    }

    /// <summary>The streamed answer's text and its final event (the one with citations).</summary>
    private static async Task<(string Text, JsonElement Last)> AskStreamingAsync(HttpClient client, string model, Guid kb, string question)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/rag/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model, messages = new[] { new { role = "user", content = question } },
                knowledge_base_ids = new[] { kb }, template = "cite", top_k = 3, max_tokens = 24, temperature = 0, stream = true,
            }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var text = new StringBuilder();
        foreach (var chunk in chunks)
        {
            Assert.False(chunk.TryGetProperty("error", out _), body);
            if (chunk.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var content))
            {
                text.Append(content.GetString());
            }
        }
        return (text.ToString(), chunks[^1]);
    }

    /// <summary>The first digit after the first full stop (the copied sentence's end), or null.</summary>
    private static int? FirstNumberAfterSentence(string text)
    {
        var stop = text.IndexOf('.', StringComparison.Ordinal);
        var match = stop < 0 ? null : Digit().Match(text, stop);
        return match is { Success: true } ? match.Value[0] - '0' : null;
    }
}
