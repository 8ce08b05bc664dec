using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Inference;
using Platform.Services.Inference.Apis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("inference");
builder.AddCallerIdentity();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.MapOpenAiApi();
app.Run();

public partial class Program;
