using Platform.Services.Gateway.Policy;

namespace Platform.Services.Gateway.Proxy;

/// <summary>Reads (and keeps for the proxy) a JSON request body up to the gateway's size limit.</summary>
public static class RequestBody
{
    public sealed record Result(RequestFacts? Facts, int Status, string? Error);

    public static async Task<Result> InspectAsync(HttpRequest request, long maxBytes, int defaultMaxTokens, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return TooLarge(maxBytes);
        }
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: maxBytes + 16 * 1024);
        using var copy = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (copy.Length + read > maxBytes)
            {
                return TooLarge(maxBytes);
            }
            copy.Write(buffer, 0, read);
        }
        request.Body.Position = 0;
        if (copy.Length == 0)
        {
            return new Result(null, StatusCodes.Status400BadRequest, "The request needs a JSON body.");
        }
        var facts = RequestFacts.Parse(copy.GetBuffer().AsMemory(0, (int)copy.Length), defaultMaxTokens, out var error);
        return facts is null ? new Result(null, StatusCodes.Status400BadRequest, error) : new Result(facts, StatusCodes.Status200OK, null);
    }

    private static Result TooLarge(long maxBytes) =>
        new(null, StatusCodes.Status413PayloadTooLarge, $"The request body is over the gateway's limit of {maxBytes} bytes.");
}
