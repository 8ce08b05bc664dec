using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag;
using Platform.Services.Rag.Apis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("rag");
builder.AddPlatformDatabase("rag");
builder.AddPlatformRedis();
builder.AddCallerIdentity();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.MapSearchApi();
app.MapChatApi();
app.MapTemplatesApi();
app.MapSessionsApi();
app.MapSessionListApi();
app.MapSettingsApi();
app.Run();

public partial class Program;
