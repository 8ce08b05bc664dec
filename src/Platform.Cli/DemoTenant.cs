using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Contracts;
using Platform.LocalInfra;

namespace Platform.Cli;

internal sealed record DemoCredentials(string TenantName, string AdminEmail, string AdminPassword, string ApiKey);

/// <summary>
/// Creates the demo tenant and its admin through the gateway's admin API on the first `up`, and a
/// fresh API key on every `up` (a key's secret is only ever shown when it is created).
/// </summary>
internal static class DemoTenant
{
    private const string Name = "demo";
    private const string AdminEmail = "admin@demo.local";

    public static async Task<DemoCredentials> EnsureAsync(RepoLayout repo, ServiceSpec gateway, CancellationToken ct)
    {
        var secrets = LocalSecrets.LoadOrCreate(repo);
        using var http = new HttpClient { BaseAddress = new Uri(gateway.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secrets.AdminToken);

        // The demo admin's password is a local convenience, kept beside the other local secrets.
        var passwordFile = Path.Combine(repo.StateDir, "demo-admin-password");
        var tenants = await ReadAsync<List<TenantResponse>>(await http.GetAsync("/api/tenants", ct), ct);
        var tenant = tenants.FirstOrDefault(t => t.Name == Name);
        if (tenant is null || !File.Exists(passwordFile))
        {
            tenant ??= await ReadAsync<TenantResponse>(
                await http.PostAsJsonAsync("/api/tenants", new CreateTenantRequest(Name, Tiers.Enterprise, "demo"), ct), ct);
            var password = RandomNumberGenerator.GetString("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 16);
            var created = await http.PostAsJsonAsync($"/api/tenants/{tenant.Id}/users",
                new CreateUserRequest(AdminEmail, password, UserRoles.TenantAdmin), ct);
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                await ReadAsync<UserResponse>(created, ct);
                await File.WriteAllTextAsync(passwordFile, password, ct);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
        }
        var key = await ReadAsync<CreatedApiKeyResponse>(await http.PostAsJsonAsync($"/api/tenants/{tenant.Id}/keys",
            new CreateApiKeyRequest($"demo key {DateTime.UtcNow:yyyy-MM-dd HH:mm}", Scopes.All, null), ct), ct);
        var adminPassword = File.Exists(passwordFile) ? (await File.ReadAllTextAsync(passwordFile, ct)).Trim() : $"(unknown: delete {repo.Display(Path.Combine(repo.StateDir, "data"))} to reset)";
        return new DemoCredentials(Name, AdminEmail, adminPassword, key.SecretKey);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                throw new InfraException($"the gateway refused to set up the demo tenant ({(int)response.StatusCode}): {body}");
            }
            return await response.Content.ReadFromJsonAsync<T>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct)
                ?? throw new InfraException("the gateway returned an empty body while setting up the demo tenant.");
        }
    }
}
