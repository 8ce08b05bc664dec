namespace Platform.Data;

/// <summary>Database roles the migrations create.</summary>
public static class Roles
{
    /// <summary>
    /// Non-login role every tenant-scoped transaction runs as; it holds DML rights on tenant tables
    /// and is subject to their row-level security policies.
    /// </summary>
    public const string Tenant = "platform_tenant";
}
