using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Identity;
using Platform.TestKit;

namespace Platform.Gateway.Tests.Fixtures;

/// <summary>
/// A real HTTP service on a free loopback port that stands in for Inference, Rag, …: it verifies the
/// gateway's identity headers like a service would, echoes what it received, and answers in OpenAI's
/// shapes (JSON with usage, or SSE chunks with an optional final usage chunk).
/// Body fields it obeys: test_chunks (stream length), test_delay_ms (pause per chunk).
/// </summary>
public sealed class Upstream : IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Response header naming the upstream (its <see cref="Url"/>) that answered.</summary>
    public const string AnsweredByHeader = "X-Test-Upstream";

    public string Url { get; private set; } = "";

    /// <summary>Every request's headers, in arrival order.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Received { get; } = new();

    /// <summary>Chunks written per stream, by the request's X-Test-Id header.</summary>
    public ConcurrentDictionary<string, int> ChunksWritten { get; } = new();

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        // Which upstream answered, for the replica-routing tests.
        _app.Use((c, next) =>
        {
            c.Response.Headers[AnsweredByHeader] = Url;
            return next(c);
        });
        _app.MapPost("/v1/chat/completions", ChatAsync);
        _app.MapPost("/v1/embeddings", (HttpContext c) => Results.Json(new { @object = "list", model = "embed-test", usage = new { prompt_tokens = 5, total_tokens = 5 }, caller = Echo(c) }));
        _app.MapGet("/v1/models", (HttpContext c) => Results.Json(new { @object = "list", data = new[] { new { id = "stories260K" } }, caller = Echo(c) }));
        _app.MapGet("/v1/knowledge-bases", (HttpContext c) => Results.Json(new { data = Array.Empty<object>(), caller = Echo(c) }));
        _app.MapGet("/health/ready", () => Results.Json(new { status = "Healthy", checks = new { } }));
        await _app.StartAsync();
        Url = _app.Urls.First();
    }

    /// <summary>What the upstream saw: the verified caller (null when the signature failed) and the raw X-Platform-* and auth headers.</summary>
    private object Echo(HttpContext c)
    {
        var headers = c.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Received.Enqueue(headers);
        var caller = CallerHeaders.Read(c.Request.Headers, c.Request.Method, c.Request.Path.Value!, Encoding.UTF8.GetBytes(SignedCaller.TestSecret), DateTimeOffset.UtcNow);
        return new
        {
            verified = caller is not null,
            tenant = caller?.TenantId,
            tier = caller?.Tier,
            principal = caller?.Principal,
            priority = caller?.Priority,
            cache_salt = caller?.CacheSalt,
            scopes = caller?.Scopes,
            role = caller?.Role,
            authorization = headers.GetValueOrDefault("Authorization"),
            platform_headers = headers.Keys.Where(k => k.StartsWith("X-Platform-", StringComparison.OrdinalIgnoreCase)).Count(),
        };
    }

    private async Task ChatAsync(HttpContext c)
    {
        var body = JsonNode.Parse(await new StreamReader(c.Request.Body).ReadToEndAsync())!.AsObject();
        var echo = Echo(c);
        var delay = body["test_delay_ms"]?.GetValue<int>() ?? 0;
        if (body["stream"]?.GetValue<bool>() != true)
        {
            if (delay > 0)
            {
                await Task.Delay(delay, c.RequestAborted);
            }
            await c.Response.WriteAsJsonAsync(new
            {
                id = "chatcmpl-test", @object = "chat.completion", model = "stories260K",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "Once upon a time" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 11, completion_tokens = 7, total_tokens = 18 },
                caller = echo,
            });
            return;
        }
        var chunks = body["test_chunks"]?.GetValue<int>() ?? 5;
        var includeUsage = body["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        var testId = c.Request.Headers["X-Test-Id"].ToString();
        c.Response.ContentType = "text/event-stream";
        var written = 0;
        try
        {
            for (var i = 0; i < chunks; i++)
            {
                var chunk = JsonSerializer.Serialize(new
                {
                    id = "chatcmpl-test", @object = "chat.completion.chunk", model = "stories260K",
                    choices = new[] { new { index = 0, delta = new { content = $"t{i} " } } },
                });
                await c.Response.WriteAsync($"data: {chunk}\n\n", c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                written++;
                if (testId.Length > 0)
                {
                    ChunksWritten[testId] = written;
                }
                if (delay > 0)
                {
                    await Task.Delay(delay, c.RequestAborted);
                }
            }
            if (includeUsage)
            {
                var usage = JsonSerializer.Serialize(new { id = "chatcmpl-test", @object = "chat.completion.chunk", model = "stories260K", choices = Array.Empty<object>(), usage = new { prompt_tokens = 9, completion_tokens = chunks, total_tokens = 9 + chunks } });
                await c.Response.WriteAsync($"data: {usage}\n\n", c.RequestAborted);
            }
            await c.Response.WriteAsync("data: [DONE]\n\n", c.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The gateway went away (its client cut the stream): stop producing.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
