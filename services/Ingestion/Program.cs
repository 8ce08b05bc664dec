using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Ingestion;
using Platform.Services.Ingestion.Apis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingestion");
builder.AddPlatformDatabase("ingestion");
builder.AddPlatformRedis();
builder.AddCallerIdentity();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.MapKnowledgeBasesApi();
app.MapDocumentsApi();
app.MapIngestionEventsApi();
app.Run();

public partial class Program;
