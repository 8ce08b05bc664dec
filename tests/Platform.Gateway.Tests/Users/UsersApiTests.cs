using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Users;

/// <summary>The platform admin's /api/users API against real PostgreSQL (RLS) and Redis (portal sessions).</summary>
[Collection(GatewayCollection.Name)]
public sealed class UsersApiTests(GatewayStores stores) : IAsyncLifetime
{
    private const string Password = "a long enough password";
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static string NewEmail() => $"u-{Guid.NewGuid():N}@example.com";

    private async Task<JsonElement> CreateUserAsync(Guid tenantId, string role = UserRoles.Member, string? email = null)
    {
        using var admin = _gateway.Admin();
        using var response = await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenantId, email = email ?? NewEmail(), password = Password, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> LoginAsync(string email)
    {
        using var client = _gateway.CreateClient();
        return await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, Password));
    }

    private async Task<string> SignInAsync(string email)
    {
        using var login = await LoginAsync(email);
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<LoginResponse>())!.Token;
    }

    private HttpClient Session(string token)
    {
        var client = _gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string?> ForwardedRoleAsync(string token)
    {
        using var client = Session(token);
        using var response = await client.GetAsync("/v1/models");
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("caller").GetProperty("role").GetString();
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Every_route_needs_the_admin_token()
    {
        var id = Guid.NewGuid();
        using var anonymous = _gateway.CreateClient();
        using var wrong = _gateway.WithKey("not-the-admin-token");
        foreach (var client in new[] { anonymous, wrong })
        {
            var responses = new[]
            {
                await client.GetAsync("/api/users"),
                await client.GetAsync($"/api/users/{id}"),
                await client.PatchAsJsonAsync($"/api/users/{id}", new { role = UserRoles.Member }),
                await client.DeleteAsync($"/api/users/{id}"),
                await client.PostAsJsonAsync("/api/users", new { tenant_id = id, email = NewEmail(), password = Password, role = UserRoles.Member }),
            };
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        }
    }

    [Fact]
    public async Task Lists_page_by_page_per_tenant_or_across_tenants_without_password_hashes()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var other = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await CreateUserAsync(tenant.Id)).GetProperty("id").GetGuid());
        }
        var foreign = (await CreateUserAsync(other.Id)).GetProperty("id").GetGuid();

        using var admin = _gateway.Admin();
        var seen = new List<Guid>();
        string? after = null;
        var pages = 0;
        do
        {
            var raw = await admin.GetStringAsync($"/api/users?tenant_id={tenant.Id}&limit=2" + (after is null ? "" : $"&after={after}"));
            Assert.DoesNotContain("password", raw, StringComparison.OrdinalIgnoreCase);
            var page = JsonDocument.Parse(raw).RootElement;
            var items = page.GetProperty("data").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 2);
            Assert.All(items, u => Assert.Equal(tenant.Id, u.GetProperty("tenant_id").GetGuid()));
            Assert.All(items, u => Assert.False(u.GetProperty("disabled").GetBoolean()));
            seen.AddRange(items.Select(u => u.GetProperty("id").GetGuid()));
            after = page.GetProperty("next_after").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_after").GetString();
            pages++;
        }
        while (after is not null);
        Assert.Equal(3, pages);
        Assert.Equal(created, seen);

        var allIds = new List<Guid>();
        for (string? next = ""; next is not null;)
        {
            var all = await admin.GetFromJsonAsync<JsonElement>("/api/users?limit=200" + (next.Length > 0 ? $"&after={next}" : ""));
            allIds.AddRange(all.GetProperty("data").EnumerateArray().Select(u => u.GetProperty("id").GetGuid()));
            next = all.GetProperty("next_after").ValueKind == JsonValueKind.Null ? null : all.GetProperty("next_after").GetString();
        }
        Assert.Contains(foreign, allIds);
        Assert.Superset(created.ToHashSet(), allIds.ToHashSet());
    }

    [Fact]
    public async Task The_old_create_route_still_works_and_its_user_is_readable_here()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var email = NewEmail();
        using var admin = _gateway.Admin();
        using var created = await admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest(email, Password, UserRoles.TenantAdmin));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<UserResponse>())!.Id;

        var user = await admin.GetFromJsonAsync<JsonElement>($"/api/users/{id}");
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal(UserRoles.TenantAdmin, user.GetProperty("role").GetString());
        Assert.Equal(tenant.Id, user.GetProperty("tenant_id").GetGuid());
        Assert.False(user.GetProperty("locked").GetBoolean());
    }

    [Fact]
    public async Task A_role_change_ends_sessions_and_applies_from_the_next_sign_in()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var email = NewEmail();
        var id = (await CreateUserAsync(tenant.Id, UserRoles.Member, email)).GetProperty("id").GetGuid();
        var before = await SignInAsync(email);
        Assert.Equal(UserRoles.Member, await ForwardedRoleAsync(before));

        using var admin = _gateway.Admin();
        using var patched = await admin.PatchAsJsonAsync($"/api/users/{id}", new { role = UserRoles.TenantAdmin });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(UserRoles.TenantAdmin, (await patched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());

        Assert.Null(await ForwardedRoleAsync(before)); // the member session is gone
        var after = await SignInAsync(email);
        Assert.Equal(UserRoles.TenantAdmin, await ForwardedRoleAsync(after));
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_until_enabled()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var email = NewEmail();
        var id = (await CreateUserAsync(tenant.Id, UserRoles.Member, email)).GetProperty("id").GetGuid();
        var token = await SignInAsync(email);

        using var admin = _gateway.Admin();
        var disabled = await (await admin.PatchAsJsonAsync($"/api/users/{id}", new { disabled = true })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        Assert.Equal(JsonValueKind.String, disabled.GetProperty("disabled_at").ValueKind);
        using (var me = Session(token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await me.GetAsync("/api/me")).StatusCode);
        }
        using (var refused = await LoginAsync(email))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var enabled = await (await admin.PatchAsJsonAsync($"/api/users/{id}", new { disabled = false })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(enabled.GetProperty("disabled").GetBoolean());
        Assert.Equal(UserRoles.Member, await ForwardedRoleAsync(await SignInAsync(email)));
    }

    [Fact]
    public async Task Delete_removes_the_user_and_ends_only_their_sessions()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var email = NewEmail();
        var bystanderEmail = NewEmail();
        var id = (await CreateUserAsync(tenant.Id, UserRoles.TenantAdmin, email)).GetProperty("id").GetGuid();
        await CreateUserAsync(tenant.Id, UserRoles.Member, bystanderEmail);
        var first = await SignInAsync(email);
        var second = await SignInAsync(email);
        var bystander = await SignInAsync(bystanderEmail);

        using var admin = _gateway.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/{id}")).StatusCode);

        foreach (var token in new[] { first, second })
        {
            using var me = Session(token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await me.GetAsync("/api/me")).StatusCode);
        }
        using (var other = Session(bystander))
        {
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/me")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/users/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/users/{id}")).StatusCode);
        using var login = await LoginAsync(email);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task Repeated_failed_sign_ins_show_as_locked()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var email = NewEmail();
        var id = (await CreateUserAsync(tenant.Id, UserRoles.Member, email)).GetProperty("id").GetGuid();
        using var client = _gateway.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            (await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, "wrong password!!"))).Dispose();
        }
        using var admin = _gateway.Admin();
        Assert.True((await admin.GetFromJsonAsync<JsonElement>($"/api/users/{id}")).GetProperty("locked").GetBoolean());
    }

    [Fact]
    public async Task Bad_input_gets_a_problem_naming_the_field_and_unknown_ids_get_404()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Consumer);
        var id = (await CreateUserAsync(tenant.Id)).GetProperty("id").GetGuid();
        using var admin = _gateway.Admin();

        await AssertInvalidAsync(await admin.PatchAsJsonAsync($"/api/users/{id}", new { role = "king" }), "role");
        await AssertInvalidAsync(await admin.PatchAsJsonAsync($"/api/users/{id}", new { }), "role");
        await AssertInvalidAsync(await admin.GetAsync("/api/users?limit=0"), "limit");
        await AssertInvalidAsync(await admin.GetAsync("/api/users?limit=201"), "limit");
        await AssertInvalidAsync(await admin.PostAsJsonAsync("/api/users", new { email = NewEmail(), password = Password, role = UserRoles.Member }), "tenant_id");
        await AssertInvalidAsync(await admin.PostAsJsonAsync("/api/users", new { tenant_id = Guid.NewGuid(), email = NewEmail(), password = Password, role = UserRoles.Member }), "tenant_id");
        await AssertInvalidAsync(await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenant.Id, email = "not an email", password = Password, role = UserRoles.Member }), "email");
        await AssertInvalidAsync(await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenant.Id, email = NewEmail(), password = "short", role = UserRoles.Member }), "password");
        await AssertInvalidAsync(await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenant.Id, email = NewEmail(), password = Password, role = "root" }), "role");

        var taken = (await admin.GetFromJsonAsync<JsonElement>($"/api/users/{id}")).GetProperty("email").GetString();
        using var duplicate = await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenant.Id, email = taken, password = Password, role = UserRoles.Member });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var unknown = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/users/{unknown}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PatchAsJsonAsync($"/api/users/{unknown}", new { role = UserRoles.Member })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/users/{unknown}")).StatusCode);

        // A failed change left the user as it was.
        Assert.Equal(UserRoles.Member, (await admin.GetFromJsonAsync<JsonElement>($"/api/users/{id}")).GetProperty("role").GetString());
    }
}
