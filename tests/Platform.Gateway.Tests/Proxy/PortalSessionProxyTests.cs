using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;

namespace Platform.Gateway.Tests.Proxy;

[Collection(GatewayCollection.Name)]
public sealed class PortalSessionProxyTests(GatewayStores stores) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        _gateway = new GatewayHost(stores);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<string> SignInAsync(Guid tenantId, string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        using (var admin = _gateway.Admin())
        {
            (await admin.PostAsJsonAsync($"/api/tenants/{tenantId}/users", new CreateUserRequest(email, "a long enough password", role))).EnsureSuccessStatusCode();
        }
        using var client = _gateway.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, "a long enough password"));
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<LoginResponse>())!.Token;
    }

    [Fact]
    public async Task A_portal_session_reaches_services_as_the_person_with_their_role()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var token = await SignInAsync(tenant.Id, UserRoles.Member);
        using var client = _gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var caller = doc.RootElement.GetProperty("caller");
        Assert.True(caller.GetProperty("verified").GetBoolean());
        Assert.Equal(tenant.Id, caller.GetProperty("tenant").GetGuid());
        Assert.Equal(UserRoles.Member, caller.GetProperty("role").GetString());
        Assert.StartsWith("user:", caller.GetProperty("principal").GetString());
        Assert.DoesNotContain(Scopes.Admin, caller.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task An_ended_session_is_refused_like_a_bad_key()
    {
        var tenant = await _gateway.CreateTenantAsync(Tiers.Enterprise);
        var token = await SignInAsync(tenant.Id, UserRoles.TenantAdmin);
        using var client = _gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await client.PostAsync("/api/auth/logout", null)).EnsureSuccessStatusCode();
        using var response = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var forged = _gateway.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ps_" + new string('a', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/v1/models")).StatusCode);
    }
}
