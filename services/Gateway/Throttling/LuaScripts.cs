namespace Platform.Services.Gateway.Throttling;

/// <summary>The limiter's Lua scripts, embedded from Throttling/Scripts (StackExchange.Redis sends them by SHA after the first call).</summary>
public static class LuaScripts
{
    public static readonly string Admit = Load("admit.lua");
    public static readonly string Release = Load("release.lua");
    public static readonly string Renew = Load("renew.lua");

    private static string Load(string name)
    {
        using var stream = typeof(LuaScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded script {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
