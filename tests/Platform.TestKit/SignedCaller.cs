using System.Text;
using Platform.ServiceDefaults.Identity;

namespace Platform.TestKit;

/// <summary>Signs requests the way the gateway does, for tests that call a service directly.</summary>
public sealed class SignedCaller(CallerIdentity caller, string internalSecret) : DelegatingHandler
{
    public const string TestSecret = "test-internal-secret-0123456789abcdef";

    public static CallerIdentity Tenant(Guid tenantId, params string[] scopes) =>
        new(tenantId, "enterprise", "key-test", scopes.Length == 0 ? ["inference", "rag", "ingest", "finetune"] : scopes,
            null, "enterprise", "salt-" + tenantId.ToString("N"));

    /// <summary>A handler for WebApplicationFactory.CreateDefaultClient (set InnerHandler yourself elsewhere).</summary>
    public static DelegatingHandler Wrap(CallerIdentity caller, string secret = TestSecret) => new SignedCaller(caller, secret);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>();
        CallerHeaders.Write(headers, caller, request.Method.Method, request.RequestUri!.AbsolutePath, Encoding.UTF8.GetBytes(internalSecret), DateTimeOffset.UtcNow);
        foreach (var (name, value) in headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
