using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Rag;

/// <summary>
/// The Redis key of a cached answer: the tenant, then SHA-256 over the normalised prompt (whitespace
/// runs collapsed, ends trimmed), the model and every sampling setting. Two tenants never share an
/// entry (the tenant is in the key, not only in the hash), and any change of sources, history,
/// template, model or sampling is a different key.
/// </summary>
public static class LlmCacheKey
{
    /// <summary>The key prefix; entries are <c>rag:llm-cache:{tenant}:{sha256 hex}</c>.</summary>
    public const string Prefix = "rag:llm-cache:";

    public static string Compute(Guid tenant, string model, string prompt, int? maxTokens, double? temperature, double? topP, long? seed)
    {
        var canonical = string.Join('\u001f', model, Normalise(prompt),
            maxTokens?.ToString(CultureInfo.InvariantCulture) ?? "", temperature?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            topP?.ToString("R", CultureInfo.InvariantCulture) ?? "", seed?.ToString(CultureInfo.InvariantCulture) ?? "");
        return Prefix + tenant.ToString("N") + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Whitespace runs become one space; leading and trailing whitespace go.</summary>
    public static string Normalise(string prompt)
    {
        var sb = new StringBuilder(prompt.Length);
        var space = false;
        foreach (var ch in prompt.Trim())
        {
            if (char.IsWhiteSpace(ch))
            {
                space = true;
                continue;
            }
            if (space)
            {
                sb.Append(' ');
                space = false;
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }
}
