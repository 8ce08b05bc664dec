using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Throttling;

/// <summary>The limiter's Lua scripts, embedded from Throttling/Scripts.</summary>
public static class LuaScripts
{
    public static readonly RedisScript Admit = Load("admit.lua");
    public static readonly RedisScript Release = Load("release.lua");
    public static readonly RedisScript Renew = Load("renew.lua");

    private static RedisScript Load(string name)
    {
        using var stream = typeof(LuaScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded script {name} is missing.");
        using var reader = new StreamReader(stream);
        return new RedisScript(reader.ReadToEnd());
    }
}

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), loaded again when the server does not know it (after a
/// restart or SCRIPT FLUSH). StackExchange.Redis's text overload finds the SHA by hashing the whole
/// script text on every call, which profiling showed as a visible share of the gateway's CPU.
/// </summary>
public sealed class RedisScript(string text)
{
    private readonly byte[] _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));

    public string Text { get; } = text;

    public async Task<RedisResult> EvaluateAsync(IDatabase database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL runs the script and makes the server cache it, so the next call's EVALSHA succeeds.
            return await database.ScriptEvaluateAsync(Text, keys, values);
        }
    }
}
