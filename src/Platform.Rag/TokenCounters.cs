using Microsoft.ML.Tokenizers;

namespace Platform.Rag;

/// <summary>Counts the tokens a text costs in a model's prompt.</summary>
public interface ITokenCounter
{
    /// <summary>"tokenizer" when the model's own tokenizer counts, "estimate" otherwise.</summary>
    string Kind { get; }

    int Count(string text);
}

/// <summary>
/// The documented estimate used when the model's tokenizer is not available: the larger of
/// ⌈characters / 3⌉ and ⌈words × 1.5⌉ (plus one for a start token). Real BPE and SentencePiece
/// vocabularies average 3.5–4.5 characters and 1.2–1.4 tokens per English word, so this
/// over-counts English prose: the budget errs towards fewer chunks, never towards an over-long prompt.
/// </summary>
public sealed class EstimatingTokenCounter : ITokenCounter
{
    public static readonly EstimatingTokenCounter Instance = new();

    public string Kind => "estimate";

    public int Count(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }
        var words = 0;
        var inWord = false;
        foreach (var ch in text)
        {
            var letter = !char.IsWhiteSpace(ch);
            if (letter && !inWord)
            {
                words++;
            }
            inWord = letter;
        }
        return Math.Max((text.Length + 2) / 3, (words * 3 + 1) / 2) + 1;
    }
}

/// <summary>The model's own tokenizer (Microsoft.ML.Tokenizers).</summary>
public sealed class ModelTokenCounter(Tokenizer tokenizer) : ITokenCounter
{
    public string Kind => "tokenizer";

    public int Count(string text) => tokenizer.CountTokens(text);

    /// <summary>
    /// Loads the tokenizer of <paramref name="model"/> (the base model of "base:adapter") from its folder under
    /// <paramref name="modelsDir"/>, choosing as the Inference engine does: <c>tokenizer.json</c> when it describes
    /// byte-level BPE (Llama 3, Qwen2, SmolLM), else <c>tokenizer.model</c> (SentencePiece, the Llama 2 family).
    /// Returns <see cref="EstimatingTokenCounter"/> when the folder or both files are missing, the name is not a
    /// plain folder name, or the files do not load (a tokenizer.json of another kind without tokenizer.model included).
    /// </summary>
    public static ITokenCounter ForModel(string? modelsDir, string? model)
    {
        if (string.IsNullOrEmpty(modelsDir) || string.IsNullOrEmpty(model) ||
            model.IndexOfAny(['/', '\\']) >= 0 || model.Contains("..", StringComparison.Ordinal))
        {
            return EstimatingTokenCounter.Instance;
        }
        var folder = Path.Combine(modelsDir, model.Split(':')[0]); // "base:adapter" shares the base model's tokenizer
        try
        {
            var json = Path.Combine(folder, "tokenizer.json");
            if (File.Exists(json) && TokenizerJson.TryLoad(File.ReadAllText(json)) is { } bpe)
            {
                return bpe;
            }
            var sentencePiece = Path.Combine(folder, "tokenizer.model");
            if (File.Exists(sentencePiece))
            {
                using var stream = File.OpenRead(sentencePiece);
                return new ModelTokenCounter(LlamaTokenizer.Create(stream));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or FormatException or NotSupportedException
            or System.Text.Json.JsonException or KeyNotFoundException)
        {
            // a broken file counts as a missing one: the estimate over-counts, so the prompt still fits
        }
        return EstimatingTokenCounter.Instance;
    }
}
