using Platform.Portal;
using Platform.Portal.Account;
using Platform.Portal.Components;
using Platform.Portal.Hosting;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
// Run from a build's output (`./platform up`), Blazor's and MudBlazor's files are found through the
// static web assets manifest, which ASP.NET Core reads only in Development unless asked; a
// published app carries the files itself and has no manifest, so this is a no-op there.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults("portal");
builder.AddPortalServices();

var app = builder.Build();
app.UseTransportSecurity();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapAccountEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

public partial class Program;
