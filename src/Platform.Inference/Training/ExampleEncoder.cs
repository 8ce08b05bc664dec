using Platform.Inference.Chat;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Training;

/// <summary>
/// Turns dataset records into token ids with a loss mask that covers only what the model should
/// learn to write: assistant turns (and the end-of-turn token after each) or the completion.
/// Chat examples use the checkpoint's chat template when it has one; otherwise, and for every
/// prompt/completion example, the text is plain: prompt (or each system/user message followed by a
/// newline), then the completion (or assistant message) followed by EOS. The whole text is
/// tokenized once; segment boundaries are where the tokenization of each prefix ends, so tokens
/// are those the model sees at inference.
/// </summary>
public sealed class ExampleEncoder
{
    private readonly ITextTokenizer _tokenizer;
    private readonly ChatTemplate? _template;
    private readonly string _eos;

    /// <summary>Creates an encoder for one checkpoint's tokenizer and (optional) chat template.</summary>
    public ExampleEncoder(ITextTokenizer tokenizer, ChatTemplate? template)
    {
        _tokenizer = tokenizer;
        _template = template;
        var eosId = tokenizer.EosTokenIds.Count > 0 ? tokenizer.EosTokenIds[0] : (int?)null;
        _eos = eosId is { } id ? tokenizer.SpecialTokens.FirstOrDefault(p => p.Value == id).Key ?? "" : "";
    }

    /// <summary>Encodes one record.</summary>
    public TrainingExample Encode(DatasetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (segments, addSpecial) = record.Messages is { } messages
            ? _template is null ? (PlainChat(messages), true) : (TemplateChat(messages, _template), false)
            : ([(record.Prompt ?? "", false), (record.Completion + _eos, true)], true);
        return Tokenize(segments, addSpecial);
    }

    private List<(string Text, bool Trainable)> PlainChat(IReadOnlyList<TrainingMessage> messages) =>
        messages.Select(m => m.Role == "assistant" ? (m.Content + _eos, m.Weight == 1) : (m.Content + "\n", false)).ToList();

    private static List<(string Text, bool Trainable)> TemplateChat(IReadOnlyList<TrainingMessage> messages, ChatTemplate template)
    {
        var turns = messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList();
        var segments = new List<(string, bool)>();
        var done = "";
        for (var i = 0; i < turns.Count; i++)
        {
            if (turns[i].Role != "assistant")
            {
                continue;
            }
            var prompt = template.Render(turns[..i], addGenerationPrompt: true);
            var withAnswer = template.Render(turns[..(i + 1)], addGenerationPrompt: false);
            if (!prompt.StartsWith(done, StringComparison.Ordinal) || !withAnswer.StartsWith(prompt, StringComparison.Ordinal))
            {
                // Every supported family renders a conversation prefix by prefix; this guards a new one that does not.
                throw new InvalidOperationException($"the {template.Format} template does not render conversations prefix by prefix");
            }
            segments.Add((prompt[done.Length..], false));
            segments.Add((withAnswer[prompt.Length..], messages[i].Weight == 1));
            done = withAnswer;
        }
        var full = template.Render(turns, addGenerationPrompt: false);
        if (full.Length > done.Length && full.StartsWith(done, StringComparison.Ordinal))
        {
            segments.Add((full[done.Length..], false));
        }
        return segments;
    }

    private TrainingExample Tokenize(List<(string Text, bool Trainable)> segments, bool addSpecial)
    {
        var text = string.Concat(segments.Select(s => s.Text));
        var ids = _tokenizer.Encode(text, addSpecial).ToArray();
        var trainable = new bool[ids.Length];
        var prefix = "";
        var start = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            prefix += segments[s].Text;
            var end = s == segments.Count - 1 ? ids.Length : CommonPrefix(ids, _tokenizer.Encode(prefix, addSpecial));
            if (segments[s].Trainable)
            {
                for (var i = start; i < end; i++)
                {
                    trainable[i] = true;
                }
            }
            start = Math.Max(start, end);
        }
        return new TrainingExample(ids, trainable);
    }

    private static int CommonPrefix(int[] full, IReadOnlyList<int> prefix)
    {
        var n = Math.Min(full.Length, prefix.Count);
        var i = 0;
        while (i < n && full[i] == prefix[i])
        {
            i++;
        }
        return i;
    }
}
