using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Platform.Portal.Tests;

[Collection(nameof(PortalCollection))]
public sealed class KnowledgeBaseTests(PortalFixture portal)
{
    public const string Volcanoes = """
        # Volcanoes

        A volcano is a rupture in the crust of a planet where lava, volcanic ash and gases escape from a magma chamber below the surface.
        Mount Etna in Sicily is one of the most active volcanoes in Europe and erupts basaltic lava almost every year.
        """;

    public const string Baking = """
        # Baking bread

        Sourdough bread rises because wild yeast and lactic acid bacteria in the starter ferment the flour and release carbon dioxide.
        """;

    [Fact]
    public async Task A_tenant_admin_creates_a_knowledge_base_uploads_files_sees_them_ingested_searches_and_deletes()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.GetByRole(AriaRole.Link, new() { Name = "Knowledge bases" }).ClickAsync();
        var name = "geo-" + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByTestId("create-kb").ClickAsync();
        await Assertions.Expect(page.GetByTestId("kb-title")).ToHaveTextAsync(name);

        // The upload is a drop zone over the browser's file input (MudFileUpload DragAndDrop). Playwright cannot
        // perform a native file drop, so the files are set on that same input, as a drop would.
        await Assertions.Expect(page.GetByTestId("drop-zone")).ToContainTextAsync("Drag files here");

        // Several files at once: two good ones, one of a type ingestion cannot parse, one over the limit.
        await page.Locator("input[type=file]").SetInputFilesAsync(new[]
        {
            File("volcanoes.md", Volcanoes),
            File("baking.md", Baking),
            File("setup.exe", "MZ not a document"),
            File("huge.md", new string('x', (int)PortalFixture.MaxUploadBytes + 1024)),
        });
        var messages = page.GetByTestId("upload-message");
        await Assertions.Expect(messages).ToHaveCountAsync(4);
        await Assertions.Expect(messages.Filter(new() { HasText = "setup.exe" })).ToContainTextAsync(".exe files cannot be ingested");
        await Assertions.Expect(messages.Filter(new() { HasText = "huge.md" })).ToContainTextAsync("larger than the 0.1 MiB upload limit");
        await Assertions.Expect(messages.Filter(new() { HasText = "volcanoes.md" })).ToContainTextAsync("queued");

        // The list follows ingestion's events until ingestion is done; the refused upload stays with its reason.
        var documents = page.GetByTestId("documents-table");
        var volcanoRow = documents.Locator("tr", new() { HasText = "volcanoes.md" });
        await Assertions.Expect(volcanoRow).ToContainTextAsync("ready", new() { Timeout = 60_000 });
        await Assertions.Expect(documents.Locator("tr", new() { HasText = "baking.md" })).ToContainTextAsync("ready", new() { Timeout = 60_000 });
        await Assertions.Expect(documents.Locator("tr", new() { HasText = "huge.md" })).ToContainTextAsync("failed");
        await Assertions.Expect(documents.GetByTestId("failure-reason")).ToContainTextAsync("upload limit");

        await page.GetByLabel("Query").FillAsync("Which volcano erupts in Sicily?");
        await page.GetByTestId("search").ClickAsync();
        var results = page.GetByTestId("search-result");
        await Assertions.Expect(results.First).ToContainTextAsync("#1 · volcanoes.md");
        await Assertions.Expect(results.First).ToContainTextAsync("Mount Etna");
        await portal.ScreenshotAsync(page, "knowledge-base");

        await volcanoRow.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(volcanoRow).ToHaveCountAsync(0);
        await Assertions.Expect(documents).ToContainTextAsync("baking.md");

        await page.GotoAsync("/knowledge-bases");
        await Assertions.Expect(page.GetByTestId("kb-table")).ToContainTextAsync(name);
        await portal.ScreenshotAsync(page, "knowledge-bases");
    }

    [Fact]
    public async Task Ingestion_events_stream_through_the_gateway_to_the_knowledge_bases_tenant_only()
    {
        using var http = await portal.GatewayAsAsync(portal.AdminEmail);
        using var created = await http.PostAsJsonAsync("/v1/knowledge-bases", new { name = "events-" + Guid.NewGuid().ToString("N")[..6] });
        created.EnsureSuccessStatusCode();
        var kb = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        using var stream = await http.GetAsync($"/v1/knowledge-bases/{kb}/events", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal("ready", (await NextEventAsync(reader, timeout.Token)).Name);
        using (var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(Baking)), "file", "baking.md" } })
        using (var upload = await http.PostAsync($"/v1/knowledge-bases/{kb}/documents", form, timeout.Token))
        {
            upload.EnsureSuccessStatusCode();
        }
        string? status;
        do
        {
            var (name, data) = await NextEventAsync(reader, timeout.Token);
            Assert.Equal("ingestion", name);
            Assert.Equal(kb, data.GetProperty("knowledge_base_id").GetGuid());
            status = data.GetProperty("status").GetString();
        }
        while (status is not ("ready" or "failed"));
        Assert.Equal("ready", status);

        using var other = await portal.GatewayAsAsync(portal.OtherAdminEmail);
        using var foreign = await other.GetAsync($"/v1/knowledge-bases/{kb}/events", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, foreign.StatusCode);
    }

    private static async Task<(string Name, JsonElement Data)> NextEventAsync(StreamReader reader, CancellationToken ct)
    {
        string? name = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
            {
                return (name, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            }
        }
        throw new InvalidOperationException("The event stream ended.");
    }

    [Fact]
    public async Task A_knowledge_base_id_that_is_not_the_tenants_is_a_not_found_page()
    {
        var page = await portal.NewPageAsync(portal.MemberEmail);
        await page.GotoAsync($"/knowledge-bases/{Guid.NewGuid()}");
        await Assertions.Expect(page.GetByTestId("not-found")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("upload")).ToHaveCountAsync(0);
    }

    /// <summary>Creates a knowledge base with one document through the gateway and waits until it is ingested; returns its id.</summary>
    public static async Task<Guid> CreateWithDocumentAsync(HttpClient gateway, string name, string fileName, string text)
    {
        using var created = await gateway.PostAsJsonAsync("/v1/knowledge-bases", new { name });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", fileName } };
        using (var upload = await gateway.PostAsync($"/v1/knowledge-bases/{id}/documents", form))
        {
            upload.EnsureSuccessStatusCode();
        }
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var documents = await gateway.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{id}/documents");
            var status = documents.GetProperty("data")[0].GetProperty("status").GetString();
            if (status == "ready")
            {
                return id;
            }
            Assert.NotEqual("failed", status);
            await Task.Delay(200);
        }
        throw new TimeoutException($"{fileName} was not ingested within a minute.");
    }

    public static FilePayload File(string name, string text) =>
        new() { Name = name, MimeType = "application/octet-stream", Buffer = Encoding.UTF8.GetBytes(text) };
}
