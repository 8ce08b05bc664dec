using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Platform.Inference.Generation;
using Platform.Inference.Serving;

namespace Platform.Services.Inference.OpenAi;

/// <summary>
/// Runs a prepared request on its engine and writes the OpenAI response, whole or as server-sent events. A request
/// with <c>n</c> choices is n engine sequences (their prompt blocks shared through the prefix cache once computed);
/// with a seed, choice i draws from seed + i, as vLLM does, so the choices differ yet repeat.
/// </summary>
public static class CompletionRunner
{
    private static readonly byte[] Done = Encoding.UTF8.GetBytes("data: [DONE]\n\n");

    /// <summary>One choice's whole output.</summary>
    public sealed record Choice(int Index, string Text, string Finish, List<SequenceOutput> Outputs);

    /// <summary>Submits every choice, or none (engine-level rejections become <see cref="ApiError"/>s).</summary>
    public static IReadOnlyList<SequenceHandle> Submit(PreparedRequest prepared)
    {
        var handles = new List<SequenceHandle>(prepared.Choices);
        try
        {
            for (var i = 0; i < prepared.Choices; i++)
            {
                handles.Add(prepared.Engine.Submit(ChoiceRequest(prepared.Request, i)));
            }
            return handles;
        }
        catch (Exception e)
        {
            handles.ForEach(h => h.Cancel());
            throw e switch
            {
                AdapterNotFoundException => RequestPreparer.NotFound(prepared.Model),
                Platform.Inference.ModelLoadException => new ApiError(StatusCodes.Status400BadRequest,
                    $"The adapter of '{prepared.Model}' cannot be used: {e.Message}", "model", "invalid_adapter"),
                SamplingParameterException bad => new ApiError(StatusCodes.Status400BadRequest, bad.Message, bad.Field),
                _ => e,
            };
        }
    }

    private static EngineRequest ChoiceRequest(EngineRequest request, int index) =>
        index == 0 || request.Parameters.Seed is not { } seed ? request
            : request with { Parameters = request.Parameters with { Seed = seed + index } };

    /// <summary>Collects every choice whole; the sequences are cancelled if the client goes away.</summary>
    public static async Task<(List<Choice> Choices, Usage Usage)> CollectAsync(IReadOnlyList<SequenceHandle> handles, CancellationToken aborted)
    {
        await using var registration = aborted.Register(() => CancelAll(handles));
        try
        {
            var choices = await Task.WhenAll(handles.Select((handle, index) => CollectOneAsync(handle, index)));
            return (choices.ToList(), UsageOf(handles, choices.Sum(c => c.Outputs.Count == 0 ? 0 : c.Outputs[^1].CompletionTokens)));
        }
        catch (Exception e) when (!aborted.IsCancellationRequested)
        {
            CancelAll(handles);
            throw new ApiError(StatusCodes.Status500InternalServerError, "The engine failed while generating: " + e.Message, type: "server_error");
        }
    }

    private static async Task<Choice> CollectOneAsync(SequenceHandle handle, int index)
    {
        var outputs = new List<SequenceOutput>();
        var text = new StringBuilder();
        var finish = FinishReason.Length;
        await foreach (var output in handle.Outputs.ReadAllAsync(CancellationToken.None))
        {
            text.Append(output.Text);
            outputs.Add(output);
            finish = output.FinishReason ?? finish;
        }
        return new Choice(index, text.ToString(), finish.ToApiString(), outputs);
    }

    /// <summary>
    /// Streams events: <paramref name="first"/> for each choice (if given), then one chunk per released text of any
    /// choice as it comes, each choice's finish chunk, an optional usage chunk, and "data: [DONE]".
    /// </summary>
    public static async Task StreamAsync<TChunk>(HttpContext context, IReadOnlyList<SequenceHandle> handles, bool includeUsage,
        Func<int, TChunk>? first, Func<int, SequenceOutput, TChunk> chunk, Func<Usage, TChunk> usageChunk) where TChunk : class
    {
        var aborted = context.RequestAborted;
        await using var registration = aborted.Register(() => CancelAll(handles));
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            for (var i = 0; first is not null && i < handles.Count; i++)
            {
                await WriteAsync(response, first(i), aborted);
            }
            var completion = new int[handles.Count];
            await foreach (var (index, output) in Merge(handles))
            {
                completion[index] = output.CompletionTokens;
                if (output.Text.Length > 0 || output.FinishReason is not null || output.Logprob is not null)
                {
                    await WriteAsync(response, chunk(index, output), aborted);
                }
            }
            if (includeUsage)
            {
                await WriteAsync(response, usageChunk(UsageOf(handles, completion.Sum())), aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CancelAll(handles);
            // Headers are sent: report the failure in-band, as OpenAI does, then end the stream.
            var error = new Platform.ServiceDefaults.OpenAiErrorBody(new Platform.ServiceDefaults.OpenAiError(
                "The engine failed while generating: " + e.Message, "server_error", null, null));
            await WriteAsync(response, error, aborted);
        }
        await response.Body.WriteAsync(Done, aborted);
        await response.Body.FlushAsync(aborted);
    }

    /// <summary>Every choice's outputs in the order they arrive; the first failure ends the whole stream with it.</summary>
    private static async IAsyncEnumerable<(int Index, SequenceOutput Output)> Merge(IReadOnlyList<SequenceHandle> handles)
    {
        if (handles.Count == 1)
        {
            await foreach (var output in handles[0].Outputs.ReadAllAsync(CancellationToken.None))
            {
                yield return (0, output);
            }
            yield break;
        }
        var merged = Channel.CreateUnbounded<(int, SequenceOutput)>(new UnboundedChannelOptions { SingleReader = true });
        var pumps = handles.Select(async (handle, index) =>
        {
            await foreach (var output in handle.Outputs.ReadAllAsync(CancellationToken.None))
            {
                merged.Writer.TryWrite((index, output));
            }
        }).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(all => merged.Writer.TryComplete(all.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var item in merged.Reader.ReadAllAsync(CancellationToken.None))
        {
            yield return item;
        }
    }

    private static void CancelAll(IReadOnlyList<SequenceHandle> handles)
    {
        foreach (var handle in handles)
        {
            handle.Cancel();
        }
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

    // The prompt is counted once however many choices share it, as OpenAI and vLLM count it.
    private static Usage UsageOf(IReadOnlyList<SequenceHandle> handles, int completion) =>
        new(handles[0].PromptTokens, completion, handles[0].PromptTokens + completion, new PromptTokensDetails(handles[0].CachedPromptTokens));

    /// <summary>Unix seconds now.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
