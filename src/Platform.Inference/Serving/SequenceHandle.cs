using System.Threading.Channels;

namespace Platform.Inference.Serving;

/// <summary>A submitted sequence: its output stream and a way to cancel it.</summary>
public sealed class SequenceHandle
{
    private readonly Action _cancel;

    internal SequenceHandle(ChannelReader<SequenceOutput> outputs, int promptTokens, Func<int> cachedPromptTokens, Action cancel)
    {
        Outputs = outputs;
        PromptTokens = promptTokens;
        CachedPromptTokensSource = cachedPromptTokens;
        _cancel = cancel;
    }

    /// <summary>Events until the sequence finishes (the channel then completes) or fails (completes with the error).</summary>
    public ChannelReader<SequenceOutput> Outputs { get; }

    /// <summary>Prompt length in tokens.</summary>
    public int PromptTokens { get; }

    /// <summary>Prompt tokens that were served from the prefix cache at the last admission.</summary>
    public int CachedPromptTokens => CachedPromptTokensSource();

    private Func<int> CachedPromptTokensSource { get; }

    /// <summary>Stops the sequence and frees its KV blocks at the next engine step (client gone).</summary>
    public void Cancel() => _cancel();
}
