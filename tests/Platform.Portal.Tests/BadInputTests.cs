using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using StackExchange.Redis;

namespace Platform.Portal.Tests;

/// <summary>An expired session and another tenant's ids in the URL (wrong passwords and bad uploads are with their pages' tests).</summary>
[Collection(nameof(PortalCollection))]
public sealed class BadInputTests(PortalFixture portal)
{
    [Fact]
    public async Task An_expired_session_goes_back_to_sign_in_and_the_question_being_typed_is_still_there_after_it()
    {
        var page = await portal.NewPageAsync(portal.MemberEmail);
        await page.GotoAsync("/chat");
        await Assertions.Expect(ChatPlaygroundTests.Select(page, "model-picker")).ToContainTextAsync(PortalFixture.Model);
        var draft = "Which volcano erupts in Sicily, and how often? " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Question").FillAsync(draft);
        await page.WaitForFunctionAsync("d => Object.keys(localStorage).some(k => k.startsWith('platform.draft.chat.') && localStorage.getItem(k) === d)", draft);

        Assert.True(await EndSessionsAsync(portal.MemberEmail) > 0);
        await page.ReloadAsync();
        await page.WaitForURLAsync(url => url.Contains("/account/login?returnUrl=%2Fchat", StringComparison.Ordinal));
        await portal.ScreenshotAsync(page, "sign-in");
        await page.FillAsync("#email", portal.MemberEmail);
        await page.FillAsync("#password", PortalFixture.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(portal.PortalUrl + "/chat");
        await Assertions.Expect(page.GetByLabel("Question")).ToHaveValueAsync(draft);
    }

    [Fact]
    public async Task An_expired_session_in_the_middle_of_the_launch_and_key_forms_keeps_what_was_typed_in_them()
    {
        var page = await portal.NewPageAsync(portal.AdminEmail);
        var run = Guid.NewGuid().ToString("N")[..6];
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("half-made key " + run);
        await page.GetByLabel("Expires in days (empty: never)").FillAsync("45");
        await page.GetByLabel("Expires in days (empty: never)").PressAsync("Tab");
        await WaitForDraftAsync(page, "platform.draft.key.", "half-made key " + run);

        await page.GotoAsync("/fine-tuning");
        await Assertions.Expect(ChatPlaygroundTests.Select(page, "base-model")).ToContainTextAsync(PortalFixture.Model);
        await page.GetByLabel("Adapter name").FillAsync("draft-" + run);
        await page.GetByLabel("Trainable tokens (optional)").FillAsync("508, 509");
        foreach (var (label, value) in new[] { ("Epochs", "7"), ("Batch size", "2"), ("LoRA r", "4"), ("Seed", "123") })
        {
            await page.GetByLabel(label, new() { Exact = true }).FillAsync(value);
            await page.GetByLabel(label, new() { Exact = true }).PressAsync("Tab");
        }
        await WaitForDraftAsync(page, "platform.draft.fine-tune-launch.", "\"Seed\":123");

        Assert.True(await EndSessionsAsync(portal.AdminEmail) > 0);
        await page.ReloadAsync();
        await page.WaitForURLAsync(url => url.Contains("/account/login?returnUrl=%2Ffine-tuning", StringComparison.Ordinal));
        await page.FillAsync("#email", portal.AdminEmail);
        await page.FillAsync("#password", PortalFixture.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(portal.PortalUrl + "/fine-tuning");
        await Assertions.Expect(page.GetByLabel("Adapter name")).ToHaveValueAsync("draft-" + run);
        await Assertions.Expect(page.GetByLabel("Epochs", new() { Exact = true })).ToHaveValueAsync("7");
        await Assertions.Expect(page.GetByLabel("Batch size", new() { Exact = true })).ToHaveValueAsync("2");
        await Assertions.Expect(page.GetByLabel("LoRA r", new() { Exact = true })).ToHaveValueAsync("4");
        await Assertions.Expect(page.GetByLabel("Seed", new() { Exact = true })).ToHaveValueAsync("123");
        await Assertions.Expect(page.GetByLabel("Trainable tokens (optional)")).ToHaveValueAsync("508, 509");

        await page.GotoAsync("/keys");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("half-made key " + run);
        await Assertions.Expect(page.GetByLabel("Expires in days (empty: never)")).ToHaveValueAsync("45");
    }

    private static Task WaitForDraftAsync(IPage page, string prefix, string contains) => page.WaitForFunctionAsync(
        "([p, c]) => Object.keys(localStorage).some(k => k.startsWith(p) && localStorage.getItem(k).includes(c))", new[] { prefix, contains });

    [Fact]
    public async Task Another_tenants_knowledge_base_and_fine_tuning_job_are_not_found_pages()
    {
        using var other = await portal.GatewayAsAsync(portal.OtherAdminEmail);
        using var created = await other.PostAsJsonAsync("/v1/knowledge-bases", new { name = "theirs" });
        created.EnsureSuccessStatusCode();
        var kb = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var job = await FineTuningTests.CreateJobAsync(other, epochs: 1);
        using (var cancelled = await other.PostAsync($"/v1/fine_tuning/jobs/{job}/cancel", null))
        {
            cancelled.EnsureSuccessStatusCode(); // not to hold the one training slot
        }

        var page = await portal.NewPageAsync(portal.AdminEmail);
        await page.GotoAsync($"/knowledge-bases/{kb}");
        await Assertions.Expect(page.GetByTestId("not-found")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("upload")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("theirs");
        await page.GotoAsync($"/fine-tuning/jobs/{job}");
        await Assertions.Expect(page.GetByTestId("not-found")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("loss-curve")).ToHaveCountAsync(0);
        await portal.ScreenshotAsync(page, "not-found");
    }

    /// <summary>Ends every gateway portal session of <paramref name="email"/> (as expiry would); returns how many.</summary>
    private async Task<int> EndSessionsAsync(string email)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(portal.RedisConnectionString);
        var db = redis.GetDatabase();
        var ended = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: "portal:session:*"))
            {
                if (((string?)await db.StringGetAsync(key))?.Contains(email, StringComparison.OrdinalIgnoreCase) == true && await db.KeyDeleteAsync(key))
                {
                    ended++;
                }
            }
        }
        return ended;
    }
}
