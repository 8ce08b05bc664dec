using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Scheduler;
using Platform.Services.Scheduler.Apis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("scheduler");
builder.AddPlatformDatabase("scheduler");
builder.AddPlatformRedis();
builder.AddApplicationServices();

var app = builder.Build();
app.UseCallerIdentity();
app.MapDefaultEndpoints();
app.MapPoolApi();
app.Run();

public partial class Program;
