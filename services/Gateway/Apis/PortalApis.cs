using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>What the tenant portal calls: sign-in sessions and the signed-in tenant's own resources.</summary>
public static class PortalApis
{
    public static WebApplicationBuilder AddPortalApis(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserLookup>();
        builder.Services.AddSingleton<PortalSessions>();
        builder.Services.AddSingleton<SessionPrincipals>();
        builder.Services.AddSingleton<PortalSessionFilter>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalApis(this IEndpointRouteBuilder app) =>
        app.MapSessionsApi().MapMyKeysApi().MapMyUsageApi().MapMyUsersApi();
}
