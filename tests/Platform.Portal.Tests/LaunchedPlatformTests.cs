using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Platform.Portal.Tests;

/// <summary>
/// The proof, against the platform `platform up` launched (<see cref="LaunchedPlatformFixture"/>), with the
/// browser on the gateway's URL: the portal's pages, sign-in form, cookies and Blazor circuit (a WebSocket) all
/// go through the gateway's portal route.
/// </summary>
[Collection(nameof(LaunchedPlatformCollection))]
public sealed class LaunchedPlatformTests(LaunchedPlatformFixture platform, ITestOutputHelper output)
{
    [Fact]
    public async Task The_demo_admin_signs_in_creates_a_key_uploads_asks_trains_a_citing_adapter_whose_streamed_answer_has_a_footnote_and_a_member_cannot_fine_tune()
    {
        // Sign in with what `up` printed.
        var page = await platform.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, socket) =>
        {
            lock (sockets)
            {
                sockets.Add(socket.Url);
            }
        };
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", platform.AdminEmail);
        await page.FillAsync("#password", platform.AdminPassword);
        await platform.ScreenshotAsync(page, "sign-in");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(platform.PortalUrl + "/");
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync("demo");
        await Assertions.Expect(page.GetByTestId("role")).ToHaveTextAsync("tenant_admin");
        // The interactive page runs its Blazor circuit over a WebSocket to the gateway (no fallback to long polling).
        var circuit = platform.GatewayUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/_blazor";
        lock (sockets)
        {
            Assert.Contains(sockets, url => url.StartsWith(circuit, StringComparison.Ordinal));
        }
        await platform.ScreenshotAsync(page, "overview");

        // A key, its secret shown once.
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("e2e key");
        await page.GetByTestId("create-key").ClickAsync();
        var secret = page.GetByTestId("new-key-secret");
        await Assertions.Expect(secret).ToContainTextAsync("pk_live_");
        var secretText = (await secret.InnerTextAsync()).Trim();
        await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync("e2e key");
        await platform.ScreenshotAsync(page, "keys");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("keys-table")).ToContainTextAsync("e2e key");
        Assert.DoesNotContain(secretText, await page.ContentAsync());

        // A knowledge base and a document, ingested by the launched Ingestion.
        await page.GotoAsync("/knowledge-bases");
        var name = "volcano-notes-" + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByTestId("create-kb").ClickAsync();
        await Assertions.Expect(page.GetByTestId("kb-title")).ToHaveTextAsync(name);
        var knowledgeBaseId = Guid.Parse(page.Url.Split('/')[^1].Split('?')[0]);
        await page.Locator("input[type=file]").SetInputFilesAsync(KnowledgeBaseTests.File("etna.md", ChatPlaygroundTests.Etna));
        await Assertions.Expect(page.GetByTestId("documents-table").Locator("tr", new() { HasText = "etna.md" }))
            .ToContainTextAsync("ready", new() { Timeout = 60_000 });
        await platform.ScreenshotAsync(page, "knowledge-base");

        // A question over it: the answer streams in, then shows a numbered source from etna.md that opens its chunk.
        await page.GetByTestId("ask-kb").ClickAsync();
        await ChatPlaygroundTests.ExpectPickedAsync(page, "model-picker", platform.Model, Digest);
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Knowledge bases" })).ToMatchAriaSnapshotAsync($"- combobox \"Knowledge bases\": {name}");
        await page.GetByLabel("Max tokens").FillAsync("24");
        await page.GetByLabel("Seed (empty: random)").FillAsync("7");
        await page.GetByLabel("Question").FillAsync("Which volcano erupts in Sicily?");
        await StreamedAnswer.StartRecordingAsync(page);
        await page.GetByTestId("ask").ClickAsync();

        var answer = page.GetByTestId("answer");
        var source = answer.GetByTestId("source").Filter(new() { HasText = "etna.md" });
        await Assertions.Expect(source.First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        // The answer streamed over the proxied circuit: part of it was on the page before all of it.
        await StreamedAnswer.AssertStreamedAsync(page, answer.First);
        await source.First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("chunk-content")).ToContainTextAsync("Mount Etna in Sicily");
        await platform.ScreenshotAsync(page, "chat");

        // The key shown once works through the launched gateway, and the answer arrives as several deltas.
        await AssertStreamsWithSourceAsync(secretText, knowledgeBaseId);

        await TrainCitingAdapterAndAskAsync(page, knowledgeBaseId);

        // A member (made through the gateway's admin API) cannot open the fine-tuning page.
        var member = await platform.NewPageAsync();
        await member.GotoAsync("/account/login");
        await member.FillAsync("#email", platform.MemberEmail);
        await member.FillAsync("#password", platform.MemberPassword);
        await member.ClickAsync("button[type=submit]");
        await member.WaitForURLAsync(platform.PortalUrl + "/");
        await Assertions.Expect(member.GetByTestId("role")).ToHaveTextAsync("member");
        await Assertions.Expect(member.GetByRole(AriaRole.Link, new() { Name = "Fine-tuning" })).ToHaveCountAsync(0);
        await member.GotoAsync("/fine-tuning");
        await Assertions.Expect(member.GetByText("Not allowed")).ToBeVisibleAsync();
        await Assertions.Expect(member.GetByTestId("dataset-upload")).ToHaveCountAsync(0);
        await platform.ScreenshotAsync(member, "fine-tuning-member");
    }

    /// <summary>
    /// The same admin trains, through the portal and the launched FineTune service, an adapter whose answers end
    /// with " [1]" (LoRA plus token rows for the brackets stories260K never learned), then asks with it: the answer
    /// streams, its [1] is a footnote that opens the chunk of the uploaded document.
    /// </summary>
    private async Task TrainCitingAdapterAndAskAsync(IPage page, Guid knowledgeBaseId)
    {
        var clock = Stopwatch.StartNew();
        await page.GotoAsync("/fine-tuning");
        await ChatPlaygroundTests.ExpectPickedAsync(page, "base-model", platform.Model, Digest);
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(KnowledgeBaseTests.File("etna-cite.jsonl", FineTuningTests.EtnaDataset(0, 16)));
        await Assertions.Expect(page.GetByTestId("dataset-message")).ToContainTextAsync("etna-cite.jsonl: 16 examples");
        await ChatPlaygroundTests.ExpectPickedAsync(page, "training-file", "etna-cite.jsonl", Digest);
        await page.GetByLabel("Adapter name").FillAsync("cite");
        await FineTuningTests.FillNumberAsync(page, "Epochs", "15");
        await FineTuningTests.FillNumberAsync(page, "Batch size", "4");
        await FineTuningTests.FillNumberAsync(page, "Learning rate", "10");
        await FineTuningTests.FillNumberAsync(page, "Seed", "7");
        await page.GetByLabel("Trainable tokens (optional)").FillAsync(FineTuningTests.CitationTokens);
        await platform.ScreenshotAsync(page, "fine-tuning");
        await page.GetByTestId("launch").ClickAsync();
        await page.WaitForURLAsync(new Regex("/fine-tuning/jobs/ftjob-"));
        await Assertions.Expect(page.GetByTestId("job-trainable-tokens")).ToHaveTextAsync(FineTuningTests.CitationTokens);
        // Queued for the launched Scheduler's grant, then trained by the launched worker.
        await Assertions.Expect(page.GetByTestId("job-status")).ToHaveTextAsync("succeeded", new() { Timeout = 180_000 });
        await Assertions.Expect(page.GetByTestId("job-adapter")).ToHaveTextAsync($"{platform.Model}:cite");
        // The page reads the events published after the finishing step once more, then stops asking.
        await Assertions.Expect(page.GetByTestId("loss-curve")).ToContainTextAsync("step 60 of 60");
        await platform.ScreenshotAsync(page, "fine-tuning-job");
        var trained = clock.Elapsed;

        await page.GetByTestId("use-adapter").ClickAsync();
        await page.WaitForURLAsync(new Regex("/chat\\?model="));
        await page.GotoAsync(page.Url + $"&kb={knowledgeBaseId}");
        await ChatPlaygroundTests.ExpectPickedAsync(page, "model-picker", $"{platform.Model}:cite", Digest);
        await page.GetByTestId("temperature").FillAsync("0");
        await page.GetByLabel("Max tokens").FillAsync("32");
        await page.GetByLabel("Question").FillAsync("Which volcano erupts in Sicily?");
        await StreamedAnswer.StartRecordingAsync(page);
        await page.GetByTestId("ask").ClickAsync();
        var answer = page.GetByTestId("answer").Last;
        var marker = answer.GetByTestId("footnote-marker");
        await Assertions.Expect(marker).ToHaveTextAsync("[1]", new() { Timeout = 60_000 });
        var final = await StreamedAnswer.AssertStreamedAsync(page, answer);
        Assert.EndsWith("[1]", final, StringComparison.Ordinal);
        await marker.ClickAsync();
        await Assertions.Expect(page.GetByTestId("chunk-panel")).ToContainTextAsync("etna.md");
        await Assertions.Expect(page.GetByTestId("chunk-content")).ToContainTextAsync("Mount Etna in Sicily");
        await platform.ScreenshotAsync(page, "chat-footnote");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"citing adapter: launched and trained in {trained.TotalSeconds:F1} s; with the question {clock.Elapsed.TotalSeconds:F1} s; answer \"{final}\""));
    }

    private string Digest() => "The launched services' logs (the portal's last gateway calls, then warnings and errors):\n" + platform.LogDigest();

    private async Task AssertStreamsWithSourceAsync(string apiKey, Guid knowledgeBaseId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.GatewayUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/rag/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = platform.Model,
                messages = new[] { new { role = "user", content = "Which volcano erupts in Sicily?" } },
                knowledge_base_ids = new[] { knowledgeBaseId },
                max_tokens = 24,
                seed = 7,
                stream = true,
            }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var deltas = 0;
        var sources = new List<string>();
        var done = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                done = true;
                break;
            }
            var chunk = JsonDocument.Parse(data).RootElement;
            if (chunk.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                && !string.IsNullOrEmpty(content.GetString()))
            {
                deltas++;
            }
            if (chunk.TryGetProperty("sources", out var given))
            {
                sources.AddRange(given.EnumerateArray().Select(s => s.GetProperty("title").GetString() ?? ""));
            }
        }
        Assert.True(done, "the stream ended without [DONE]");
        Assert.True(deltas >= 2, $"the answer came in {deltas} content delta(s), not streamed");
        Assert.Contains("etna.md", sources);
    }
}
