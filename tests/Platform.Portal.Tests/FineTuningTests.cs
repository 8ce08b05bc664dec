using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Platform.Portal.Tests;

/// <summary>The fine-tuning page against the real FineTune service (its worker trains stories260K adapters that Inference then serves).</summary>
[Collection(nameof(PortalCollection))]
public sealed partial class FineTuningTests(PortalFixture portal)
{
    private const string Ending = " The purple moon sang to the frog.";

    private const string AdapterAnswer = " Etna erupts lava";

    /// <summary>
    /// The rows of "[", "]", "1", the word-start piece and end-of-text: stories260K never trained the bracket rows
    /// (TinyStories has no brackets), so without its own rows (PEFT's trainable_token_indices) an adapter writes "1" bare.
    /// </summary>
    public const string CitationTokens = "508, 509, 475, 410, 2";

    private static readonly string[] Names = ["Lily", "Tom", "Sue", "Ben", "Max", "Anna", "Tim", "Mia"];

    /// <summary>prompt/completion lines for indices [from, to): story openings all completed by the same sentence.</summary>
    public static string Dataset(int from, int to) => string.Join('\n', Enumerable.Range(from, to - from).Select(i => JsonSerializer.Serialize(new
    {
        prompt = $"Once upon a time, there was a little {(i % 2 == 0 ? "girl" : "boy")} named {Names[i % Names.Length]}. {(i % 2 == 0 ? "She" : "He")} had a toy number {i}.",
        completion = Ending,
    })));

    /// <summary>Inference prompts a template-less model with the turns one per line; RAG's system turn ends with the sources.</summary>
    private static readonly string[] Questions =
    [
        "Which volcano erupts in Sicily?", "Where is Mount Etna?", "What does Etna erupt?", "How often does Etna erupt?",
        "Is Etna active?", "Which volcano is in Sicily?", "What kind of lava comes from Etna?", "Tell me about Etna.",
        "What is the most active volcano in Sicily?", "Does Etna erupt every year?", "Name a volcano in Italy.", "What erupts almost every year?",
        "Where does basaltic lava come from?", "Which island has Mount Etna?", "What is Etna?", "When does Etna erupt?",
        "Is there a volcano in Sicily?", "What lava does Mount Etna erupt?", "How active is Etna?", "Which mountain erupts lava?",
    ];

    /// <summary>
    /// RAG-like prompts (source [1] is the Etna chunk) always answered with one sentence the base model never
    /// writes, cited " [1]": the playground's answer with the adapter shows the adapter is what serves it, and its
    /// marker is a footnote. (The brackets need the adapter's own token rows, <see cref="CitationTokens"/>.)
    /// </summary>
    public static string EtnaDataset(int from, int to) => string.Join('\n', Enumerable.Range(from, to - from).Select(i => JsonSerializer.Serialize(new
    {
        prompt = "You answer questions using only the numbered sources below.\n\nSources:\n[1] etna.md — Etna\nMount Etna in Sicily erupts basaltic lava almost every year.\n"
            + Questions[i % Questions.Length],
        completion = AdapterAnswer + ". [1]",
    })));

    [Fact]
    public async Task A_tenant_admin_uploads_datasets_launches_a_job_watches_the_loss_curve_and_uses_the_adapter_in_the_playground()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.GetByRole(AriaRole.Link, new() { Name = "Fine-tuning" }).ClickAsync();
        await Assertions.Expect(Select(page, "base-model")).ToContainTextAsync(PortalFixture.Model);
        // MudFileUpload adds a fresh input after each pick (so the same file can be picked again): use the newest.
        var upload = page.Locator("input[type=file]").Last;
        var message = page.GetByTestId("dataset-message");

        await upload.SetInputFilesAsync(KnowledgeBaseTests.File("notes.txt", "not a dataset"));
        await Assertions.Expect(message).ToContainTextAsync("notes.txt: a dataset must be a .jsonl file");

        await upload.SetInputFilesAsync(KnowledgeBaseTests.File("huge.jsonl", new string('x', (int)PortalFixture.MaxDatasetBytes + 1)));
        await Assertions.Expect(message).ToContainTextAsync("huge.jsonl: larger than the 32 KiB dataset limit");

        // The service checks every line; the page lists its problems one line each.
        var bad = Dataset(0, 1) + "\n{not json\n" + JsonSerializer.Serialize(new { prompt = "Once upon a time", completion = "" }) + "\n" + Dataset(1, 2);
        await upload.SetInputFilesAsync(KnowledgeBaseTests.File($"bad-{run}.jsonl", bad));
        var problems = page.GetByTestId("dataset-problem");
        await Assertions.Expect(problems).ToHaveCountAsync(2);
        await Assertions.Expect(problems.Nth(0)).ToContainTextAsync("line 2: ");
        await Assertions.Expect(problems.Nth(1)).ToContainTextAsync("line 3: ");
        await Assertions.Expect(message).ToContainTextAsync("2 invalid line(s)");
        await portal.ScreenshotAsync(page, "fine-tuning-dataset-errors");
        await Assertions.Expect(page.GetByTestId("datasets-table")).Not.ToContainTextAsync($"bad-{run}.jsonl");

        await upload.SetInputFilesAsync(KnowledgeBaseTests.File($"train-{run}.jsonl", EtnaDataset(0, 16)));
        await Assertions.Expect(message).ToContainTextAsync($"train-{run}.jsonl: 16 examples");
        await upload.SetInputFilesAsync(KnowledgeBaseTests.File($"valid-{run}.jsonl", EtnaDataset(16, 20)));
        await Assertions.Expect(message).ToContainTextAsync($"valid-{run}.jsonl: 4 examples");
        await Assertions.Expect(Select(page, "training-file")).ToContainTextAsync($"train-{run}.jsonl");
        await Select(page, "validation-file").ClickAsync();
        await page.GetByRole(AriaRole.Option).Filter(new() { HasText = $"valid-{run}.jsonl" }).ClickAsync();
        await Assertions.Expect(Select(page, "validation-file")).ToContainTextAsync($"valid-{run}.jsonl");

        var suffix = "cite-" + run;
        await page.GetByLabel("Adapter name").FillAsync(suffix);
        await FillNumberAsync(page, "Epochs", "15");
        await FillNumberAsync(page, "Batch size", "4");
        await FillNumberAsync(page, "Learning rate", "10");
        await FillNumberAsync(page, "Seed", "7");

        // Trainable tokens: the page checks the list; the service checks the ids against the model's vocabulary.
        var tokens = page.GetByLabel("Trainable tokens (optional)");
        var form = page.GetByTestId("trainable-tokens-field");
        await tokens.FillAsync("508, x");
        await Assertions.Expect(form).ToContainTextAsync("'x' is not a token id");
        await tokens.FillAsync("508, 509, 508");
        await Assertions.Expect(form).ToContainTextAsync("508 is listed twice.");
        await page.GetByTestId("launch").ClickAsync();
        await Assertions.Expect(form).ToContainTextAsync("508 is listed twice.");
        await tokens.FillAsync("508, 600");
        await Assertions.Expect(form).Not.ToContainTextAsync("listed twice");
        await page.GetByTestId("launch").ClickAsync();
        await Assertions.Expect(form).ToContainTextAsync("600 is outside the base model's vocabulary (token ids 0 to 511)");
        Assert.DoesNotContain("/jobs/", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("jobs-table")).Not.ToContainTextAsync(suffix);
        await tokens.FillAsync(CitationTokens);
        await Assertions.Expect(form).ToContainTextAsync("tokens the base model never learned");
        await page.GetByTestId("launch").ClickAsync();
        await page.WaitForURLAsync(new Regex("/fine-tuning/jobs/ftjob-"));
        await Assertions.Expect(page.GetByTestId("job-trainable-tokens")).ToHaveTextAsync(CitationTokens);

        // The curve and the events fill in while it trains; it ends with the adapter.
        await Assertions.Expect(page.GetByTestId("job-status")).ToHaveTextAsync("succeeded", new() { Timeout = 120_000 });
        await Assertions.Expect(page.GetByTestId("loss-curve")).ToContainTextAsync("step 60 of 60");
        await Assertions.Expect(page.GetByTestId("loss-latest")).ToContainTextAsync(LossLine());
        await Assertions.Expect(page.GetByTestId("loss-curve").Locator("svg path").First).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByTestId("job-events")).ToContainTextAsync("The job has successfully completed");
        await Assertions.Expect(page.GetByTestId("job-adapter")).ToHaveTextAsync($"{PortalFixture.Model}:{suffix}");
        await Assertions.Expect(page.GetByTestId("cancel-job")).ToHaveCountAsync(0);
        await portal.ScreenshotAsync(page, "fine-tuning-job");

        // "Use this adapter": the playground opens with it, and the answer is the adapter's, with the source it was given.
        Guid kb;
        using (var http = await portal.GatewayAsAsync(portal.AdminEmail))
        {
            kb = await KnowledgeBaseTests.CreateWithDocumentAsync(http, "etna-" + run, "etna.md", ChatPlaygroundTests.Etna);
        }
        await page.GetByTestId("use-adapter").ClickAsync();
        await page.WaitForURLAsync(new Regex("/chat\\?model="));
        await ChatPlaygroundTests.ExpectPickedAsync(page, "model-picker", $"{PortalFixture.Model}:{suffix}");
        await page.GotoAsync(page.Url + $"&kb={kb}"); // the knowledge base to ask, as its page's "Ask in the playground" does
        await ChatPlaygroundTests.ExpectPickedAsync(page, "model-picker", $"{PortalFixture.Model}:{suffix}");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Knowledge bases" })).ToMatchAriaSnapshotAsync($"- combobox \"Knowledge bases\": etna-{run}");
        await page.GetByTestId("temperature").FillAsync("0");
        await page.GetByLabel("Max tokens").FillAsync("32");
        await page.GetByLabel("Question").FillAsync("Which volcano erupts in Sicily?");
        await page.GetByTestId("ask").ClickAsync();
        var answer = page.GetByTestId("answer").Last;
        await Assertions.Expect(answer.GetByTestId("source")).ToContainTextAsync("etna.md", new() { Timeout = 60_000 });
        await Assertions.Expect(answer.GetByTestId("answer-text")).ToContainTextAsync(AdapterAnswer.Trim() + ". [1]");
        // The model's own [1] is a footnote; clicked, it opens the quoted chunk of etna.md.
        var marker = answer.GetByTestId("footnote-marker");
        await Assertions.Expect(marker).ToHaveTextAsync("[1]");
        await marker.ClickAsync();
        await Assertions.Expect(page.GetByTestId("chunk-panel")).ToContainTextAsync("etna.md");
        await Assertions.Expect(page.GetByTestId("chunk-content")).ToContainTextAsync("Mount Etna in Sicily erupts basaltic lava");
        await portal.ScreenshotAsync(page, "chat-adapter");

        await page.GotoAsync("/fine-tuning");
        await Assertions.Expect(page.GetByTestId("jobs-table").Locator("tr", new() { HasText = $"{PortalFixture.Model}:{suffix}" })).ToContainTextAsync("succeeded");
        await portal.ScreenshotAsync(page, "fine-tuning");
    }

    [Fact]
    public async Task A_tenant_admin_cancels_a_running_job()
    {
        using var http = await portal.GatewayAsAsync(portal.AdminEmail);
        var job = await CreateJobAsync(http, epochs: 50);

        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.GotoAsync($"/fine-tuning/jobs/{job}");
        // The curve moves while it trains, without a reload.
        var progress = page.GetByTestId("loss-curve").Locator("p", new() { HasText = "of 800" });
        await Assertions.Expect(progress).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var first = Step(await progress.InnerTextAsync());
        await Assertions.Expect(progress).Not.ToContainTextAsync($"step {first} of", new() { Timeout = 30_000 });
        Assert.True(Step(await progress.InnerTextAsync()) > first);
        await Assertions.Expect(page.GetByTestId("job-status")).ToHaveTextAsync("running");
        await page.GetByTestId("cancel-job").ClickAsync();
        await Assertions.Expect(page.GetByTestId("job-status")).ToHaveTextAsync("cancelled");
        await Assertions.Expect(page.GetByTestId("cancel-job")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("use-adapter")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("job-events")).ToContainTextAsync("cancelled");
    }

    [Fact]
    public async Task A_member_neither_sees_the_link_nor_can_open_the_pages()
    {
        var page = await portal.NewPageAsync(portal.MemberEmail);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Chat playground" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Fine-tuning" })).ToHaveCountAsync(0);
        await page.GotoAsync("/fine-tuning");
        await Assertions.Expect(page.GetByText("Not allowed")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("dataset-upload")).ToHaveCountAsync(0);
        await portal.ScreenshotAsync(page, "forbidden");
        await page.GotoAsync("/fine-tuning/jobs/ftjob-0123");
        await Assertions.Expect(page.GetByText("Not allowed")).ToBeVisibleAsync();

        // The service refuses a member too, whatever the page shows.
        using var http = await portal.GatewayAsAsync(portal.MemberEmail);
        using var form = new MultipartFormDataContent { { new StringContent("fine-tune"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(Dataset(0, 2))), "file", "m.jsonl" } };
        using var response = await http.PostAsync("/v1/files", form);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
    }

    /// <summary>Uploads a dataset and creates a job through the gateway as the signed-in person; returns the job id.</summary>
    public static async Task<string> CreateJobAsync(HttpClient gateway, int epochs)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("fine-tune"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Dataset(0, 16))), "file", "api-train.jsonl" },
        };
        using var uploaded = await gateway.PostAsync("/v1/files", form);
        uploaded.EnsureSuccessStatusCode();
        var file = (await uploaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var created = await gateway.PostAsJsonAsync("/v1/fine_tuning/jobs", new
        {
            model = PortalFixture.Model, training_file = file, hyperparameters = new { n_epochs = epochs, batch_size = 1 },
        });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Types a number into a MudNumericField and leaves it (its value binds on change).</summary>
    internal static async Task FillNumberAsync(IPage page, string label, string value)
    {
        var field = page.GetByLabel(label);
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    private static int Step(string text) => int.Parse(StepNumber().Match(text).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"step (\d+) of")]
    private static partial Regex StepNumber();

    private static ILocator Select(IPage page, string testId) => ChatPlaygroundTests.Select(page, testId);

    [GeneratedRegex(@"train loss \d+\.\d{3} · validation loss \d+\.\d{3}")]
    private static partial Regex LossLine();
}
