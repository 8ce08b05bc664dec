using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts;

namespace Platform.Portal.Gateway;

/// <summary>The portal talks only to the gateway, as the signed-in person (their portal session token).</summary>
public sealed partial class GatewayClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // The Scheduler's API speaks snake_case, like the OpenAI-shaped services.
    // Primary-constructor parameters are visible only in this part of the partial class.
    private HttpClient Http => http;

    private static readonly JsonSerializerOptions SnakeJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The session, or a sentence to show on the sign-in page.</summary>
    public async Task<(LoginResponse? Session, string? Error)> LoginAsync(string email, string password, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/auth/login", new LoginRequest(email, password), Json, ct);
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync<LoginResponse>(Json, ct), null);
        }
        return (null, await ProblemDetailAsync(response, ct));
    }

    public async Task LogoutAsync(string token, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, "/api/auth/logout", token);
        using var _ = await http.SendAsync(request, ct);
    }

    public Task<MyUsageView> GetUsageAsync(string token, int days, CancellationToken ct) =>
        SendAsync<MyUsageView>(Authorized(HttpMethod.Get, $"/api/me/usage?days={days}", token), ct);

    public Task<LimitsView> GetLimitsAsync(string token, CancellationToken ct) =>
        SendAsync<LimitsView>(Authorized(HttpMethod.Get, "/api/me/limits", token), ct);

    public Task<PoolView> GetPoolAsync(string token, CancellationToken ct) =>
        SendAsync<PoolView>(Authorized(HttpMethod.Get, "/api/pool", token), ct, SnakeJson);

    public Task<List<ApiKeyResponse>> ListKeysAsync(string token, CancellationToken ct) =>
        SendAsync<List<ApiKeyResponse>>(Authorized(HttpMethod.Get, "/api/keys", token), ct);

    public Task<CreatedApiKeyResponse> CreateKeyAsync(string token, CreateApiKeyRequest key, CancellationToken ct)
    {
        var request = Authorized(HttpMethod.Post, "/api/keys", token);
        request.Content = JsonContent.Create(key, options: Json);
        return SendAsync<CreatedApiKeyResponse>(request, ct);
    }

    public async Task RevokeKeyAsync(string token, string keyId, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Delete, $"/api/keys/{Uri.EscapeDataString(keyId)}", token);
        using var response = await http.SendAsync(request, ct);
        await EnsureAsync(response, ct);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct, JsonSerializerOptions? options = null)
    {
        using (request)
        using (var response = await http.SendAsync(request, ct))
        {
            await EnsureAsync(response, ct);
            return (await response.Content.ReadFromJsonAsync<T>(options ?? Json, ct))!;
        }
    }

    private static HttpRequestMessage Authorized(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var detail = await ProblemDetailAsync(response, ct);
        throw response.StatusCode == HttpStatusCode.Unauthorized
            ? new SessionExpiredException(detail)
            : new GatewayException((int)response.StatusCode, detail);
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
            if (body.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d)
            {
                return d;
            }
            if (body.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? response.ReasonPhrase ?? "Request failed.";
            }
        }
        catch (JsonException)
        {
        }
        return $"The gateway answered {(int)response.StatusCode} {response.ReasonPhrase}.";
    }
}

/// <summary>The gateway refused a request; <see cref="Exception.Message"/> is fit to show.</summary>
public class GatewayException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The portal session is gone: the page sends the person back to sign-in.</summary>
public sealed class SessionExpiredException(string message) : GatewayException(401, message);
