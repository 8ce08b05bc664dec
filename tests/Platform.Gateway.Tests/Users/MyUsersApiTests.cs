using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Users;

/// <summary>
/// Portal sessions on the admin APIs: a platform_admin's session on /api/tenants and /api/users, and a
/// tenant admin's /api/me/users over their own tenant only (real PostgreSQL with RLS, real Redis sessions).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MyUsersApiTests(GatewayStores stores) : IAsyncLifetime
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

    private async Task<(Guid Id, string Email)> CreateUserAsync(Guid tenantId, string role)
    {
        var email = NewEmail();
        using var admin = _gateway.Admin();
        using var response = await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenantId, email, password = Password, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), email);
    }

    private async Task<HttpClient> SignedInAsync(string email)
    {
        var client = _gateway.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, Password));
        login.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<LoginResponse>())!.Token);
        return client;
    }

    private async Task<HttpClient> SignedInAsync(Guid tenantId, string role) => await SignedInAsync((await CreateUserAsync(tenantId, role)).Email);

    private static object NewUser(string role, string? email = null) => new { email = email ?? NewEmail(), password = Password, role };

    [Fact]
    public async Task A_platform_admin_session_uses_the_admin_api_and_nobody_else_does()
    {
        var home = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        using var platformAdmin = await SignedInAsync(home.Id, UserRoles.PlatformAdmin);
        using (var created = await platformAdmin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest("t-" + Guid.NewGuid().ToString("N")[..12], Tiers.Consumer, "free")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await platformAdmin.GetAsync($"/api/tenants/{home.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platformAdmin.GetAsync("/api/users?limit=5")).StatusCode);
        using (var user = await platformAdmin.PostAsJsonAsync("/api/users", new { tenant_id = home.Id, email = NewEmail(), password = Password, role = UserRoles.Member }))
        {
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }

        foreach (var role in new[] { UserRoles.TenantAdmin, UserRoles.Member })
        {
            using var other = await SignedInAsync(home.Id, role);
            foreach (var path in new[] { "/api/tenants", "/api/users" })
            {
                using var refused = await other.GetAsync(path);
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            }
        }
        using var forged = _gateway.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ps_not-a-live-session");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _gateway.CreateClient().GetAsync("/api/users")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_manages_their_own_tenants_users_only()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var other = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var stranger = await CreateUserAsync(other.Id, UserRoles.Member);
        using var admin = await SignedInAsync(tenant.Id, UserRoles.TenantAdmin);

        var memberEmail = NewEmail();
        Guid memberId;
        using (var created = await admin.PostAsJsonAsync("/api/me/users", NewUser(UserRoles.Member, memberEmail)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(tenant.Id, body.GetProperty("tenant_id").GetGuid());
            memberId = body.GetProperty("id").GetGuid();
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("/api/me/users", NewUser(UserRoles.PlatformAdmin))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/me/users", NewUser(UserRoles.Member, memberEmail))).StatusCode);
        using (var invalid = await admin.PostAsJsonAsync("/api/me/users", NewUser(UserRoles.Member, "not-an-email")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Equal("email", (await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }

        var page = await admin.GetFromJsonAsync<JsonElement>("/api/me/users");
        var tenants = page.GetProperty("data").EnumerateArray().Select(u => u.GetProperty("tenant_id").GetGuid()).ToList();
        Assert.Equal(2, tenants.Count);
        Assert.All(tenants, t => Assert.Equal(tenant.Id, t));

        // Another tenant's user does not exist here, whatever the verb; and it is left untouched.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/me/users/{stranger.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PatchAsJsonAsync($"/api/me/users/{stranger.Id}", new { disabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/me/users/{stranger.Id}")).StatusCode);
        using (var platform = _gateway.Admin())
        {
            var untouched = await platform.GetFromJsonAsync<JsonElement>($"/api/users/{stranger.Id}");
            Assert.False(untouched.GetProperty("disabled").GetBoolean());
        }

        // A member may not use the page; a change ends the member's sessions.
        using var member = await SignedInAsync(memberEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/api/me/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.DeleteAsync($"/api/me/users/{memberId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PatchAsJsonAsync($"/api/me/users/{memberId}", new { role = UserRoles.PlatformAdmin })).StatusCode);
        using (var promoted = await admin.PatchAsJsonAsync($"/api/me/users/{memberId}", new { role = UserRoles.TenantAdmin }))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
            Assert.Equal(UserRoles.TenantAdmin, (await promoted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await member.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/me/users/{memberId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/me/users/{memberId}")).StatusCode);
    }

    [Fact]
    public async Task The_last_tenant_admin_cannot_be_removed_and_a_platform_admin_is_out_of_reach()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var (adminId, adminEmail) = await CreateUserAsync(tenant.Id, UserRoles.TenantAdmin);
        var platformAdmin = await CreateUserAsync(tenant.Id, UserRoles.PlatformAdmin);
        using var admin = await SignedInAsync(adminEmail);

        foreach (var change in new object[] { new { role = UserRoles.Member }, new { disabled = true } })
        {
            using var refused = await admin.PatchAsJsonAsync($"/api/me/users/{adminId}", change);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("last enabled tenant_admin", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Conflict, (await admin.DeleteAsync($"/api/me/users/{adminId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PatchAsJsonAsync($"/api/me/users/{platformAdmin.Id}", new { disabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.DeleteAsync($"/api/me/users/{platformAdmin.Id}")).StatusCode);

        // With a second admin, stepping down is allowed.
        using (var second = await admin.PostAsJsonAsync("/api/me/users", NewUser(UserRoles.TenantAdmin)))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/me/users/{adminId}", new { role = UserRoles.Member })).StatusCode);
        using var platform = _gateway.Admin();
        Assert.Equal(UserRoles.Member, (await platform.GetFromJsonAsync<JsonElement>($"/api/users/{adminId}")).GetProperty("role").GetString());
    }
}
