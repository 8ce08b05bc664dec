using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Platform.Portal.Gateway;

public sealed partial class GatewayClient
{
    /// <summary>
    /// Follows GET /v1/knowledge-bases/{id}/events (server-sent events from Ingestion): first
    /// <see cref="IngestionEventView.Ready"/> once the subscription is open, then every document event
    /// of that knowledge base, until <paramref name="ct"/> is cancelled or the stream drops (which throws
    /// or ends the enumeration).
    /// </summary>
    public async IAsyncEnumerable<IngestionEventView> StreamIngestionEventsAsync(string token, Guid kb, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Get, $"/v1/knowledge-bases/{kb}/events", token);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureAsync(response, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        string? name = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                yield return name == "ready"
                    ? IngestionEventView.Ready
                    : JsonSerializer.Deserialize<IngestionEventView>(line["data: ".Length..], SnakeJson) ?? IngestionEventView.Ready;
                name = null;
            }
        }
    }
}
