using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Gateway.Tests.Fixtures;
using Platform.Services.Gateway.Portal;
using Platform.Services.Gateway.Security;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Users;

/// <summary>The per-user index of portal sessions, on two gateway replicas sharing one real Redis.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PortalSessionIndexTests(GatewayStores stores) : TwoGatewayHosts(stores)
{
    private const string Password = "a long enough password";

    private IDatabase Redis => A.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    private static string Member(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private async Task<(Guid Id, string Email)> CreateUserAsync(Guid tenantId, string role = UserRoles.Member)
    {
        var email = $"idx-{Guid.NewGuid():N}@example.com";
        using var admin = A.Admin();
        using var response = await admin.PostAsJsonAsync("/api/users", new { tenant_id = tenantId, email, password = Password, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), email);
    }

    private static async Task<string> SignInAsync(GatewayHost gateway, string email)
    {
        using var client = gateway.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, Password));
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<LoginResponse>())!.Token;
    }

    private static async Task<HttpStatusCode> MeAsync(GatewayHost gateway, string token)
    {
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/api/me");
        return response.StatusCode;
    }

    private async Task<string[]> IndexedAsync(Guid userId) =>
        (await Redis.SetMembersAsync(PortalSessions.UserSessionsKey(userId))).Select(m => m.ToString()).Order().ToArray();

    [Fact]
    public async Task Deleting_a_user_on_one_replica_ends_their_session_on_the_other()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Consumer);
        var (id, email) = await CreateUserAsync(tenant.Id);
        var (_, bystanderEmail) = await CreateUserAsync(tenant.Id);
        var signedInOnB = await SignInAsync(B, email);
        var signedInOnA = await SignInAsync(A, email);
        var bystander = await SignInAsync(B, bystanderEmail);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(B, signedInOnA));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(A, signedInOnB));
        Assert.Equal(new[] { Member(signedInOnA), Member(signedInOnB) }.Order(), await IndexedAsync(id));

        using (var admin = A.Admin())
        {
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/{id}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(B, signedInOnB));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(B, signedInOnA));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(B, bystander));
        Assert.False(await Redis.KeyExistsAsync(PortalSessions.UserSessionsKey(id)));
        Assert.False(await Redis.KeyExistsAsync(PortalSessionScripts.SessionPrefix + Member(signedInOnA)));
    }

    [Fact]
    public async Task The_index_drops_a_session_at_sign_out_and_an_expired_one_at_the_next_sign_in()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Enterprise);
        var (id, email) = await CreateUserAsync(tenant.Id);
        var first = await SignInAsync(A, email);
        var second = await SignInAsync(B, email);
        var third = await SignInAsync(A, email);

        using (var client = B.CreateClient())
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", first);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/auth/logout", null)).StatusCode);
        }
        Assert.Equal(new[] { Member(second), Member(third) }.Order(), await IndexedAsync(id));

        await Redis.KeyDeleteAsync(PortalSessionScripts.SessionPrefix + Member(second)); // as its expiry would
        var fourth = await SignInAsync(B, email);
        Assert.Equal(new[] { Member(third), Member(fourth) }.Order(), await IndexedAsync(id));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(A, first));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(A, fourth));
    }

    [Fact]
    public async Task Using_a_session_renews_the_index_with_it_so_the_index_outlives_every_session()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Enterprise);
        var (id, email) = await CreateUserAsync(tenant.Id);
        var token = await SignInAsync(A, email);
        var key = PortalSessions.UserSessionsKey(id);
        var ttl = await Redis.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, PortalSessions.Lifetime - TimeSpan.FromMinutes(1), PortalSessions.Lifetime);

        await Redis.KeyExpireAsync(key, TimeSpan.FromSeconds(30));
        await Redis.KeyExpireAsync(PortalSessionScripts.SessionPrefix + Member(token), TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(B, token));
        Assert.InRange((await Redis.KeyTimeToLiveAsync(key))!.Value, PortalSessions.Lifetime - TimeSpan.FromMinutes(1), PortalSessions.Lifetime);
        Assert.InRange((await Redis.KeyTimeToLiveAsync(PortalSessionScripts.SessionPrefix + Member(token)))!.Value,
            PortalSessions.Lifetime - TimeSpan.FromMinutes(1), PortalSessions.Lifetime);
    }

    [Fact]
    public async Task A_sign_in_that_read_the_user_before_their_sessions_were_ended_opens_no_session()
    {
        var tenant = await A.CreateTenantAsync(Tiers.Consumer);
        var (id, email) = await CreateUserAsync(tenant.Id);
        var onA = A.Services.GetRequiredService<PortalSessions>();
        var onB = B.Services.GetRequiredService<PortalSessions>();
        var user = new SessionUser(id, email, UserRoles.Member, tenant.Id, tenant.Name, Tiers.Consumer);

        var epoch = await onA.SignInEpochAsync(email.ToUpperInvariant()); // the password check happens after this
        Assert.Equal(0, await onB.EndUserSessionsAsync(id, email)); // an admin's change commits meanwhile, on another replica
        Assert.Null(await onA.CreateAsync(user, epoch));
        Assert.Empty(await IndexedAsync(id));

        var again = await onA.CreateAsync(user, await onA.SignInEpochAsync(email));
        Assert.NotNull(again);
        Assert.Equal(id, (await onB.ResolveAsync(again.Token))?.Id);
        Assert.Equal(1, await onB.EndUserSessionsAsync(id, email));
        Assert.Null(await onA.ResolveAsync(again.Token));
    }
}
