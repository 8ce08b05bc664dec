using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Platform.Portal.Account;
using Platform.Portal.Gateway;

namespace Platform.Portal.Components.Shared;

/// <summary>
/// A signed-in page calling the gateway: the person's session token, and one place that turns
/// gateway failures into a message on the page (or, for an expired session, back to sign-in).
/// </summary>
public abstract class PortalPage : ComponentBase
{
    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Inject]
    protected GatewayClient Gateway { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    protected string Token { get; private set; } = "";

    /// <summary>The signed-in person's user id (keys their drafts in browser storage).</summary>
    protected string UserId { get; private set; } = "";

    protected bool IsTenantAdmin { get; private set; }

    protected string? Error { get; set; }

    /// <summary>The service answered 404 for the object in the URL (missing, or another tenant's).</summary>
    protected bool NotFound { get; set; }

    protected bool Busy { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthState).User;
        Token = user.FindFirst(AccountEndpoints.TokenClaim)?.Value ?? "";
        UserId = user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "";
        IsTenantAdmin = user.IsInRole(Contracts.UserRoles.TenantAdmin) || user.IsInRole(Contracts.UserRoles.PlatformAdmin);
        await LoadAsync();
    }

    protected virtual Task LoadAsync() => Task.CompletedTask;

    /// <summary>Runs a gateway call; true when it succeeded.</summary>
    protected async Task<bool> GuardAsync(Func<Task> action)
    {
        Busy = true;
        Error = null;
        try
        {
            await action();
            return true;
        }
        catch (SessionExpiredException)
        {
            var here = "/" + Navigation.ToBaseRelativePath(Navigation.Uri);
            Navigation.NavigateTo("/account/login?returnUrl=" + Uri.EscapeDataString(here), forceLoad: true);
        }
        catch (GatewayException e) when (e.Status == 404)
        {
            NotFound = true;
            Error = e.Message;
        }
        catch (GatewayException e)
        {
            Error = e.Message;
        }
        catch (HttpRequestException)
        {
            Error = "The gateway is unreachable; try again in a moment.";
        }
        catch (TaskCanceledException) when (!_disposed)
        {
            Error = "The gateway did not answer in time; try again.";
        }
        finally
        {
            Busy = false;
        }
        return false;
    }

    private bool _disposed;

    /// <summary>Marks the page gone so late cancellations are not shown as errors.</summary>
    protected void MarkDisposed() => _disposed = true;
}
