using System.Text.Json;
using System.Threading.Channels;
using Platform.Ingestion.Pipeline;
using Platform.Ingestion.Storage;
using Platform.ServiceDefaults.Identity;
using StackExchange.Redis;

namespace Platform.Services.Ingestion.Apis;

/// <summary>
/// GET /v1/knowledge-bases/{id}/events: the knowledge base's <see cref="IngestionEvent"/>s as
/// server-sent events, live from the tenant's Redis channel. The first event, <c>ready</c>, says the
/// subscription is open: read the documents after it and nothing is missed. Delivery is best effort
/// (pub/sub); the document list stays the truth.
/// </summary>
public static class IngestionEventsApi
{
    /// <summary>A comment line this often keeps proxies (the gateway's activity timeout) from closing a quiet stream.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapIngestionEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/knowledge-bases/{kbId:guid}/events", StreamAsync).RequireCaller().AddEndpointFilter(ReadScope.Filter);
        return app;
    }

    private static async Task<IResult> StreamAsync(Guid kbId, HttpContext http, KnowledgeBaseStore store, IConnectionMultiplexer redis,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        if (await store.GetAsync(tenant, kbId, ct) is null)
        {
            return KnowledgeBasesApi.NotFound(http, kbId);
        }
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var subscriber = redis.GetSubscriber();
        var channel = RedisChannel.Literal(IngestionEvent.Channel(tenant));
        void OnMessage(RedisChannel _, RedisValue message)
        {
            if (Belongs(message, kbId))
            {
                queue.Writer.TryWrite(message.ToString());
            }
        }
        await subscriber.SubscribeAsync(channel, OnMessage);
        try
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await http.Response.WriteAsync("event: ready\ndata: {\"knowledge_base_id\":\"" + kbId + "\"}\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                string frame;
                try
                {
                    frame = "event: ingestion\ndata: " + await queue.Reader.ReadAsync(wait.Token) + "\n\n";
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    frame = ": keep-alive\n\n";
                }
                await http.Response.WriteAsync(frame, ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel, OnMessage);
        }
        loggers.CreateLogger(typeof(IngestionEventsApi)).LogDebug("Event stream of knowledge base {KnowledgeBaseId} closed", kbId);
        return TypedResults.Empty;
    }

    /// <summary>Whether a published event is about this knowledge base (a malformed one never is).</summary>
    public static bool Belongs(RedisValue message, Guid kbId)
    {
        try
        {
            return JsonSerializer.Deserialize<IngestionEvent>(message.ToString()) is { } e && e.KnowledgeBaseId == kbId;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
