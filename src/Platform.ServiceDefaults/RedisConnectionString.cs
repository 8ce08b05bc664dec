namespace Platform.ServiceDefaults;

/// <summary>Accepts redis://[user:pass@]host:port[/db] or rediss://… URLs, or StackExchange.Redis options.</summary>
public static class RedisConnectionString
{
    public static string FromUrlOrOptions(string value)
    {
        if (!value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) &&
            !value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }
        var uri = new Uri(value);
        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}" };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var userInfo = uri.UserInfo.Split(':', 2);
            if (userInfo.Length == 2)
            {
                if (userInfo[0].Length > 0)
                {
                    parts.Add("user=" + Uri.UnescapeDataString(userInfo[0]));
                }
                parts.Add("password=" + Uri.UnescapeDataString(userInfo[1]));
            }
            else
            {
                parts.Add("password=" + Uri.UnescapeDataString(userInfo[0]));
            }
        }
        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } db)
        {
            parts.Add("defaultDatabase=" + db);
        }
        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
        {
            parts.Add("ssl=true");
        }
        return string.Join(',', parts);
    }
}
