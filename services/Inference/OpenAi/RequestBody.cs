using System.Text.Json;

namespace Platform.Services.Inference.OpenAi;

/// <summary>Reads a JSON body under a size limit: 413 above it, 400 naming the JSON path when malformed.</summary>
public static class RequestBody
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<T> ReadAsync<T>(HttpRequest request, int limit, CancellationToken cancellationToken) where T : class
    {
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, "The request body is empty; a JSON object is required.");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Json)
                ?? throw new ApiError(StatusCodes.Status400BadRequest, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
            throw new ApiError(StatusCodes.Status400BadRequest,
                $"The request body is not valid JSON for this endpoint{(field is null ? "" : $" at '{field}'")}: {e.Message}", field);
        }
    }

    private static ApiError TooLarge(int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the limit of {limit} bytes.", code: "request_too_large");
}
