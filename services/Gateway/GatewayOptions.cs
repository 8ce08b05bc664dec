using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Gateway;

public sealed class GatewayOptions
{
    /// <summary>Bearer token of the platform admin API (bootstrap credential; `./platform up` generates one).</summary>
    public string AdminToken { get; set; } = "";

    /// <summary>Server-side key of the API-key HMAC; at least 32 characters. Changing it invalidates every key.</summary>
    [Required, MinLength(32)]
    public string KeyHashSecret { get; set; } = "";
}
