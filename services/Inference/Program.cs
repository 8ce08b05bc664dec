using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("inference");
builder.AddPlatformRedis();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
