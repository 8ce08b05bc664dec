using System.Text;
using System.Text.Json;
using Platform.Inference.Generation;
using Platform.Inference.Serving;

namespace Platform.Services.Inference.OpenAi;

/// <summary>Runs a prepared request on its engine and writes the OpenAI response, whole or as server-sent events.</summary>
public static class CompletionRunner
{
    private static readonly byte[] Done = Encoding.UTF8.GetBytes("data: [DONE]\n\n");

    /// <summary>Submits; engine-level rejections become <see cref="ApiError"/>s.</summary>
    public static SequenceHandle Submit(PreparedRequest prepared)
    {
        try
        {
            return prepared.Engine.Submit(prepared.Request);
        }
        catch (AdapterNotFoundException)
        {
            throw RequestPreparer.NotFound(prepared.Model);
        }
        catch (Platform.Inference.ModelLoadException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, $"The adapter of '{prepared.Model}' cannot be used: {e.Message}", "model", "invalid_adapter");
        }
        catch (SamplingParameterException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, e.Message, e.Field);
        }
    }

    /// <summary>Collects the whole completion; the sequence is cancelled if the client goes away.</summary>
    public static async Task<(string Text, string Finish, Usage Usage, List<SequenceOutput> Outputs)> CollectAsync(SequenceHandle handle, CancellationToken aborted)
    {
        await using var registration = aborted.Register(handle.Cancel);
        var outputs = new List<SequenceOutput>();
        var text = new StringBuilder();
        var finish = FinishReason.Length;
        var completion = 0;
        try
        {
            await foreach (var output in handle.Outputs.ReadAllAsync(CancellationToken.None))
            {
                text.Append(output.Text);
                outputs.Add(output);
                completion = output.CompletionTokens;
                finish = output.FinishReason ?? finish;
            }
        }
        catch (Exception e) when (!aborted.IsCancellationRequested)
        {
            throw new ApiError(StatusCodes.Status500InternalServerError, "The engine failed while generating: " + e.Message, type: "server_error");
        }
        return (text.ToString(), finish.ToApiString(), UsageOf(handle, completion), outputs);
    }

    /// <summary>
    /// Streams events: <paramref name="first"/> (if any), then one chunk per released text, the
    /// finish chunk, an optional usage chunk, and "data: [DONE]".
    /// </summary>
    public static async Task StreamAsync<TChunk>(HttpContext context, SequenceHandle handle, bool includeUsage,
        TChunk? first, Func<SequenceOutput, TChunk> chunk, Func<Usage, TChunk> usageChunk) where TChunk : class
    {
        var aborted = context.RequestAborted;
        await using var registration = aborted.Register(handle.Cancel);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            if (first is not null)
            {
                await WriteAsync(response, first, aborted);
            }
            var completion = 0;
            await foreach (var output in handle.Outputs.ReadAllAsync(CancellationToken.None))
            {
                completion = output.CompletionTokens;
                if (output.Text.Length > 0 || output.FinishReason is not null || output.Logprob is not null)
                {
                    await WriteAsync(response, chunk(output), aborted);
                }
            }
            if (includeUsage)
            {
                await WriteAsync(response, usageChunk(UsageOf(handle, completion)), aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are sent: report the failure in-band, as OpenAI does, then end the stream.
            var error = new Platform.ServiceDefaults.OpenAiErrorBody(new Platform.ServiceDefaults.OpenAiError(
                "The engine failed while generating: " + e.Message, "server_error", null, null));
            await WriteAsync(response, error, aborted);
        }
        await response.Body.WriteAsync(Done, aborted);
        await response.Body.FlushAsync(aborted);
    }

    private static async Task WriteAsync<T>(HttpResponse response, T value, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value);
        var frame = new byte[json.Length + 8];
        "data: "u8.CopyTo(frame);
        json.CopyTo(frame, 6);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        await response.Body.WriteAsync(frame, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static Usage UsageOf(SequenceHandle handle, int completion) =>
        new(handle.PromptTokens, completion, handle.PromptTokens + completion, new PromptTokensDetails(handle.CachedPromptTokens));

    /// <summary>Unix seconds now.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
