using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingestion");
builder.AddPlatformDatabase("ingestion");
builder.AddPlatformRedis();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
