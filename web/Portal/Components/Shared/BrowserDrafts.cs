using System.Text.Json;
using Microsoft.JSInterop;

namespace Platform.Portal.Components.Shared;

/// <summary>
/// Form drafts in the browser's localStorage, so text being typed survives a full-page trip through
/// sign-in. Storage that is unavailable (disabled, full, circuit gone) loses the draft, never the page.
/// </summary>
public sealed class BrowserDrafts(IJSRuntime js)
{
    public async Task<string?> LoadAsync(string key)
    {
        try
        {
            return await js.InvokeAsync<string?>("localStorage.getItem", key);
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            return null;
        }
    }

    public Task SaveAsync(string key, string value) => TryAsync("localStorage.setItem", key, value);

    /// <summary>A form's fields as one JSON draft; null when there is none or it no longer reads as <typeparamref name="T"/>.</summary>
    public async Task<T?> LoadAsync<T>(string key) where T : class
    {
        if (await LoadAsync(key) is not { Length: > 0 } json)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task SaveAsync<T>(string key, T value) where T : class => SaveAsync(key, JsonSerializer.Serialize(value));

    public Task ClearAsync(string key) => TryAsync("localStorage.removeItem", key);

    private async Task TryAsync(string function, params object?[] args)
    {
        try
        {
            await js.InvokeVoidAsync(function, args);
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
        }
    }
}
