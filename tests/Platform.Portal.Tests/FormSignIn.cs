using System.Net;
using System.Text.RegularExpressions;

namespace Platform.Portal.Tests;

/// <summary>
/// The sign-in form as a browser posts it, over HttpClient so the Set-Cookie headers can be read as sent:
/// GET /account/login (antiforgery cookie and form token), then the form post. Cookies are carried by hand
/// (a cookie container would drop a Secure cookie on plain http before the test could see it).
/// </summary>
public sealed partial class FormSignIn(string baseUrl, string? forwardedProto = null) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };

    /// <summary>The Set-Cookie headers of the sign-in page (the antiforgery cookie).</summary>
    public IReadOnlyList<SetCookie> PageCookies { get; private set; } = [];

    public string Token { get; private set; } = "";

    public async Task OpenPageAsync()
    {
        using var response = await _http.SendAsync(Request(HttpMethod.Get, "/account/login"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        PageCookies = SetCookie.From(response);
        Token = TokenInput().Match(await response.Content.ReadAsStringAsync()) is { Success: true } m
            ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new InvalidOperationException("The sign-in page has no antiforgery token field.");
    }

    /// <summary>Posts the form; <paramref name="withToken"/> false leaves the form token out, <paramref name="withCookie"/> false the antiforgery cookie.</summary>
    public async Task<HttpResponseMessage> PostAsync(string email, string password, bool withToken = true, bool withCookie = true)
    {
        var fields = new List<KeyValuePair<string, string>> { new("email", email), new("password", password), new("returnUrl", "") };
        if (withToken)
        {
            fields.Add(new("__RequestVerificationToken", Token));
        }
        var request = Request(HttpMethod.Post, "/account/login");
        request.Content = new FormUrlEncodedContent(fields);
        if (withCookie && PageCookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", PageCookies.Select(c => $"{c.Name}={c.Value}")));
        }
        return await _http.SendAsync(request);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }
        return request;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}

/// <summary>One Set-Cookie header: its name, value and attributes (lower-cased names).</summary>
public sealed record SetCookie(string Name, string Value, IReadOnlyDictionary<string, string> Attributes)
{
    public bool Secure => Attributes.ContainsKey("secure");

    public bool HttpOnly => Attributes.ContainsKey("httponly");

    public string? SameSite => Attributes.GetValueOrDefault("samesite");

    public static IReadOnlyList<SetCookie> From(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(Parse).ToList() : [];

    private static SetCookie Parse(string header)
    {
        var parts = header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var (name, value) = Split(parts[0]);
        var attributes = parts.Skip(1).Select(Split).ToDictionary(a => a.Name.ToLowerInvariant(), a => a.Value.ToLowerInvariant());
        return new SetCookie(name, value, attributes);
    }

    private static (string Name, string Value) Split(string part) =>
        part.IndexOf('=', StringComparison.Ordinal) is var i and >= 0 ? (part[..i], part[(i + 1)..]) : (part, "");
}
