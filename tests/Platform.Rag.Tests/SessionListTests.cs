extern alias rag;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Rag;
using rag::Platform.Services.Rag.Storage;
using Platform.TestKit;

namespace Platform.Rag.Tests;

/// <summary>GET /v1/rag/sessions: only the caller's own (tenant and principal) conversations, most recent first.</summary>
[Collection(nameof(RagCollection))]
public sealed class SessionListTests(RagFixture fx)
{
    [Fact]
    public async Task The_list_holds_only_the_callers_own_sessions_newest_first_titled_by_the_first_question()
    {
        await using var rag = fx.CreateRag(fx.IngestionUrl, "http://127.0.0.1:9/");
        var store = rag.Services.GetRequiredService<SessionStore>();
        var tenant = Guid.NewGuid();
        var me = SignedCaller.Tenant(tenant) with { Principal = "user:" + Guid.NewGuid() };
        var colleague = me with { Principal = "user:" + Guid.NewGuid() };
        var older = Guid.CreateVersion7();
        var newer = Guid.CreateVersion7();
        await store.AppendAsync(tenant, me.Principal, older, new PromptTurn("user", "Which volcano erupts in Sicily?\nPlease be brief."),
            new PromptTurn("assistant", "Etna."), "[]", CancellationToken.None);
        await store.AppendAsync(tenant, me.Principal, newer, new PromptTurn("user", new string('x', 200)),
            new PromptTurn("assistant", "y"), "[]", CancellationToken.None);
        await store.AppendAsync(tenant, colleague.Principal, Guid.CreateVersion7(), new PromptTurn("user", "not mine"),
            new PromptTurn("assistant", "z"), "[]", CancellationToken.None);
        await store.AppendAsync(fx.TenantB, me.Principal, Guid.CreateVersion7(), new PromptTurn("user", "another tenant"),
            new PromptTurn("assistant", "z"), "[]", CancellationToken.None);
        // A follow-up makes the older session the most recently used.
        await store.AppendAsync(tenant, me.Principal, older, new PromptTurn("user", "How often?"), new PromptTurn("assistant", "Often."), "[]",
            CancellationToken.None);

        using var client = rag.CreateDefaultClient(SignedCaller.Wrap(me));
        using var response = await client.GetAsync("/v1/rag/sessions");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var data = JsonDocument.Parse(body).RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([older, newer], data.Select(s => s.GetProperty("id").GetGuid()));
        Assert.Equal("Which volcano erupts in Sicily? Please be brief.", data[0].GetProperty("title").GetString());
        Assert.Equal(4, data[0].GetProperty("messages").GetInt32());
        Assert.Equal(SessionListing.TitleLength + 1, data[1].GetProperty("title").GetString()!.Length);

        var limited = await client.GetFromJsonAsync<JsonElement>("/v1/rag/sessions?limit=1");
        Assert.Equal(older, limited.GetProperty("data")[0].GetProperty("id").GetGuid());
        Assert.Equal(1, limited.GetProperty("data").GetArrayLength());

        using var bad = await client.GetAsync("/v1/rag/sessions?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid_limit", JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());

        using var stranger = rag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(Guid.NewGuid())));
        Assert.Empty((await stranger.GetFromJsonAsync<JsonElement>("/v1/rag/sessions")).GetProperty("data").EnumerateArray());
        using var noScope = rag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant, "inference")));
        Assert.Equal(HttpStatusCode.Forbidden, (await noScope.GetAsync("/v1/rag/sessions")).StatusCode);
    }
}
