using Platform.ServiceDefaults;
using Platform.Services.Gateway;
using Platform.Services.Gateway.Apis;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Security;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("gateway");
builder.AddPlatformDatabase("gateway");
builder.AddPlatformRedis();

builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Gateway").ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<TenantStore>();
builder.AddPortalApis();
builder.Services.AddSingleton(sp => new ApiKeySecret(System.Text.Encoding.UTF8.GetBytes(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.KeyHashSecret)));

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTenantsApi();
app.MapPortalApis();
app.Run();

public partial class Program;
