using System.Text;
using Platform.Inference.Generation;
using Platform.Inference.Serving;
using Platform.Inference.Tokenization;

namespace Platform.Services.Inference.OpenAi;

/// <summary>Engine logprobs in OpenAI's two response shapes (chat and legacy completions).</summary>
public static class LogprobFormatter
{
    public static ChatLogprobs Chat(IEnumerable<SequenceOutput> outputs, ITextTokenizer tokenizer) =>
        new([.. outputs.Where(o => o.TokenId is not null).Select(o =>
        {
            var token = Token(tokenizer, o.TokenId!.Value);
            return new ChatTokenLogprob(token, o.Logprob ?? 0, Bytes(token),
                [.. (o.TopLogprobs ?? []).Select(t => Token(tokenizer, t.TokenId)).Zip(o.TopLogprobs ?? [], (text, t) => new ChatTopLogprob(text, t.Logprob, Bytes(text)))]);
        })]);

    /// <summary>
    /// The generated tokens of <paramref name="outputs"/>, their text offsets counted from <paramref name="textOffset"/>;
    /// with <paramref name="echoedPrompt"/>, the prompt's tokens first (the first with no logprob, the rest with those
    /// of the first output's <see cref="SequenceOutput.PromptLogprobs"/> when it has them). Offsets run on over each
    /// token's own text, as vLLM counts them.
    /// </summary>
    public static CompletionLogprobs Completion(IEnumerable<SequenceOutput> outputs, ITextTokenizer tokenizer, int textOffset,
        IReadOnlyList<int>? echoedPrompt = null)
    {
        var tokens = new List<string>();
        var logprobs = new List<double?>();
        var tops = new List<Dictionary<string, double>?>();
        var offsets = new List<int>();
        void Add(int id, double? logprob, IReadOnlyList<TokenLogprob>? alternatives)
        {
            var token = Token(tokenizer, id);
            tokens.Add(token);
            logprobs.Add(logprob);
            Dictionary<string, double>? top = null;
            if (alternatives is not null)
            {
                top = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var t in alternatives)
                {
                    top.TryAdd(Token(tokenizer, t.TokenId), t.Logprob);
                }
            }
            tops.Add(top);
            offsets.Add(textOffset);
            textOffset += token.Length;
        }
        var all = outputs as IReadOnlyList<SequenceOutput> ?? [.. outputs];
        if (echoedPrompt is { Count: > 0 } && all is [{ PromptLogprobs: { } scored }, ..])
        {
            Add(echoedPrompt[0], null, null);
            foreach (var p in scored)
            {
                Add(p.TokenId, p.Logprob, p.TopLogprobs);
            }
        }
        foreach (var o in all.Where(o => o.TokenId is not null))
        {
            Add(o.TokenId!.Value, o.Logprob ?? 0, o.TopLogprobs ?? []);
        }
        return new CompletionLogprobs(tokens, logprobs, tops, offsets);
    }

    private static string Token(ITextTokenizer tokenizer, int id) => tokenizer.Decode([id], skipSpecialTokens: false);

    private static int[] Bytes(string token) => [.. Encoding.UTF8.GetBytes(token).Select(b => (int)b)];
}
