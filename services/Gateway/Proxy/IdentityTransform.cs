using Platform.ServiceDefaults.Identity;
using Platform.Services.Gateway.Security;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Platform.Services.Gateway.Proxy;

/// <summary>
/// Removes everything a client could use to claim an identity (any X-Platform-* header, the API key
/// itself) and adds the signed identity of the authenticated caller (none on a public route).
/// </summary>
public static class IdentityTransform
{
    public static void Apply(RequestTransformContext context, CallerFactory callers, TimeProvider clock)
    {
        var headers = context.ProxyRequest.Headers;
        foreach (var name in headers.Select(h => h.Key).Where(IsStripped).ToList())
        {
            headers.Remove(name);
        }
        var caller = context.HttpContext.Features.Get<CallerIdentity>();
        if (caller is null)
        {
            // The portal's route has no identity to sign (and none a client sent gets through); any other is a bug.
            if (ProxyRoutes.IsPublic(context.HttpContext.GetReverseProxyFeature().Route.Config))
            {
                return;
            }
            throw new InvalidOperationException("A proxied request reached the transform without an authenticated caller.");
        }
        var signed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        CallerHeaders.Write(signed, caller, context.HttpContext.Request.Method, context.Path.Value ?? "/", callers.Secret, clock.GetUtcNow());
        foreach (var (name, value) in signed)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    private static bool IsStripped(string name) =>
        name.StartsWith("X-Platform-", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("api-key", StringComparison.OrdinalIgnoreCase);
}
