using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.FineTune.Apis;
using Platform.Services.FineTune.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("finetune");
builder.AddPlatformDatabase("finetune");
builder.AddPlatformRedis();
builder.AddCallerIdentity();
builder.AddApplicationServices();

var app = builder.Build();
app.UseCallerIdentity();
app.MapDefaultEndpoints();
app.MapFilesApi();
app.MapFineTuningJobsApi();
app.Run();

public partial class Program;
