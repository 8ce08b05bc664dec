using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts;

namespace Platform.Foundation.Tests.Hosting;

[Collection(StoresCollection.Name)]
public sealed class TenantsApiTests(StoresFixture stores) : IAsyncLifetime
{
    private GatewayFactory _factory = null!;
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _factory = new GatewayFactory(stores);
        _admin = _factory.CreateClient();
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.AdminToken);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _factory.DisposeAsync();
    }

    private async Task<TenantResponse> CreateTenantAsync(string tier = Tiers.Consumer)
    {
        using var response = await _admin.PostAsJsonAsync("/api/tenants", new CreateTenantRequest("t-" + Guid.NewGuid().ToString("N")[..12], tier, null));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TenantResponse>())!;
    }

    [Fact]
    public async Task Without_the_admin_token_the_api_answers_401()
    {
        using var anonymous = _factory.CreateClient();
        using var response = await anonymous.GetAsync("/api/tenants");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.AdminToken + "x");
        using var wrong = await anonymous.GetAsync("/api/tenants");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task A_created_key_is_shown_once_and_listed_without_its_secret()
    {
        var tenant = await CreateTenantAsync();
        using var created = await _admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/keys", new CreateApiKeyRequest("ci", [Scopes.Inference], 30));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
        Assert.StartsWith("pk_live_" + key.Key.Id + "_", key.SecretKey);
        Assert.NotNull(key.Key.ExpiresAt);

        var listed = await _admin.GetStringAsync($"/api/tenants/{tenant.Id}/keys");
        Assert.Contains(key.Key.Id, listed);
        Assert.DoesNotContain(key.SecretKey["pk_live_".Length..], listed);
        Assert.DoesNotContain("secret", listed);
    }

    [Fact]
    public async Task One_tenants_key_list_never_shows_another_tenants_keys()
    {
        var a = await CreateTenantAsync();
        var b = await CreateTenantAsync(Tiers.Enterprise);
        using var ka = await _admin.PostAsJsonAsync($"/api/tenants/{a.Id}/keys", new CreateApiKeyRequest("a", null, null));
        var aKey = (await ka.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
        var bKeys = await _admin.GetFromJsonAsync<List<ApiKeyResponse>>($"/api/tenants/{b.Id}/keys");
        Assert.DoesNotContain(bKeys!, k => k.Id == aKey.Key.Id);
        using var revokeAcross = await _admin.DeleteAsync($"/api/tenants/{b.Id}/keys/{aKey.Key.Id}");
        Assert.Equal(HttpStatusCode.NotFound, revokeAcross.StatusCode);
        using var revoke = await _admin.DeleteAsync($"/api/tenants/{a.Id}/keys/{aKey.Key.Id}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var aKeys = await _admin.GetFromJsonAsync<List<ApiKeyResponse>>($"/api/tenants/{a.Id}/keys");
        Assert.NotNull(aKeys!.Single(k => k.Id == aKey.Key.Id).RevokedAt);
    }

    [Theory]
    [InlineData("""{"name":"","tier":"consumer"}""", "name")]
    [InlineData("""{"name":"x","tier":"gold"}""", "tier")]
    public async Task Invalid_tenants_get_a_400_problem_naming_the_field(string json, string field)
    {
        using var response = await _admin.PostAsync("/api/tenants", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(field, body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        using var response = await _admin.PostAsync("/api/tenants", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Users_get_hashed_passwords_and_duplicate_emails_are_refused()
    {
        var tenant = await CreateTenantAsync();
        var email = $"u{Guid.NewGuid():N}@example.com";
        using var first = await _admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest(email, "correct horse battery", UserRoles.Member));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.DoesNotContain("correct horse", await first.Content.ReadAsStringAsync());
        using var again = await _admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest(email.ToUpperInvariant(), "correct horse battery", UserRoles.Member));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var weak = await _admin.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users", new CreateUserRequest("w" + email, "short", UserRoles.Member));
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
    }

    [Fact]
    public async Task Unknown_tenant_is_404()
    {
        using var response = await _admin.PostAsJsonAsync($"/api/tenants/{Guid.NewGuid()}/keys", new CreateApiKeyRequest("x", null, null));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
