using Platform.ServiceDefaults;
using Platform.Services.Gateway.Apis;
using Platform.Services.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.UseInlineIoScheduling();
builder.AddServiceDefaults("gateway");
builder.AddTrustedProxies("Gateway:ForwardedHeaders", loopbackWhenUnset: false);
builder.AddApplicationServices();
builder.AddPortalApis();
builder.AddUsersApi();
builder.AddMetricsApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTenantsApi();
app.MapUsersApi();
app.MapPlansApi();
app.MapUsageApi();
app.MapPlatformHealthApi();
app.MapMetricsApi();
app.MapPortalApis();
app.MapGatewayProxy();
app.Run();

public partial class Program;
