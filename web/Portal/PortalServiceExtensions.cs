using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using Platform.Portal.Components.Shared;
using Platform.Portal.Gateway;
using Platform.Portal.Hosting;

namespace Platform.Portal;

public static class PortalServiceExtensions
{
    /// <summary>Blazor (interactive server), MudBlazor, cookie sign-in, and the gateway client.</summary>
    public static WebApplicationBuilder AddPortalServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<BrowserDrafts>();
        builder.Services.AddOptions<PortalOptions>().Bind(builder.Configuration.GetSection("Portal")).ValidateDataAnnotations().ValidateOnStart();

        // Keys persist under the data dir so sign-ins survive a restart.
        var dataDir = builder.Configuration["Platform:DataDir"];
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("platform-portal");
        if (!string.IsNullOrWhiteSpace(dataDir))
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        }

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/account/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/forbidden";
                o.Cookie.Name = "platform.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure when the request is https (or always): the cookie policy of Hosting/TransportSecurity.
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
            });
        builder.Services.AddAuthorization();
        builder.AddTransportSecurity();

        builder.Services.AddHttpClient<GatewayClient>(http =>
        {
            var gateway = builder.Configuration["Services:gateway"] ?? "http://127.0.0.1:5080";
            http.BaseAddress = new Uri(gateway);
            http.Timeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }
}
