using System.Text;
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

    public static CompletionLogprobs Completion(IEnumerable<SequenceOutput> outputs, ITextTokenizer tokenizer, int textOffset)
    {
        var tokens = new List<string>();
        var logprobs = new List<double>();
        var tops = new List<Dictionary<string, double>>();
        var offsets = new List<int>();
        foreach (var o in outputs.Where(o => o.TokenId is not null))
        {
            var token = Token(tokenizer, o.TokenId!.Value);
            tokens.Add(token);
            logprobs.Add(o.Logprob ?? 0);
            var top = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var t in o.TopLogprobs ?? [])
            {
                top.TryAdd(Token(tokenizer, t.TokenId), t.Logprob);
            }
            tops.Add(top);
            offsets.Add(textOffset);
            textOffset += token.Length;
        }
        return new CompletionLogprobs(tokens, logprobs, tops, offsets);
    }

    private static string Token(ITextTokenizer tokenizer, int id) => tokenizer.Decode([id], skipSpecialTokens: false);

    private static int[] Bytes(string token) => [.. Encoding.UTF8.GetBytes(token).Select(b => (int)b)];
}
