using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

/// <summary>
/// OpenAI's JSON mode (<c>response_format: {"type": "json_object"}</c>): the output is one JSON object. Each step
/// allows the tokens whose text keeps the output a prefix of some JSON object (<see cref="JsonPrefix"/>), a stop
/// token only once the object is whole, and then nothing but a stop token. A model that runs out of
/// <c>max_tokens</c> first leaves the object unfinished (finish reason "length"), as OpenAI's does.
/// </summary>
public sealed class JsonObjectConstraint : ITokenConstraint
{
    private static readonly ConditionalWeakTable<ITextTokenizer, Vocabulary> Vocabularies = [];

    private readonly Vocabulary _vocabulary;
    private JsonPrefix _state = JsonPrefix.Object;

    /// <summary>A constraint over tokens whose texts are <paramref name="texts"/> (null: a token never allowed).</summary>
    public JsonObjectConstraint(IReadOnlyList<string?> texts) : this(new Vocabulary(texts))
    {
    }

    private JsonObjectConstraint(Vocabulary vocabulary) => _vocabulary = vocabulary;

    /// <summary>Whether the output so far is one whole object.</summary>
    public bool IsComplete => _state.IsComplete;

    /// <summary>A fresh constraint per sequence over <paramref name="tokenizer"/>'s first <paramref name="vocabSize"/> ids.</summary>
    public static Func<ITokenConstraint> For(ITextTokenizer tokenizer, int vocabSize)
    {
        var vocabulary = Vocabularies.GetValue(tokenizer, t => new Vocabulary(TokenTexts(t, vocabSize)));
        return () => new JsonObjectConstraint(vocabulary);
    }

    /// <summary>
    /// The text each token adds after other text: decoded behind a context token and that token's own text cut off, so
    /// a SentencePiece word-start keeps its space. Special tokens add nothing and are never allowed.
    /// </summary>
    public static string?[] TokenTexts(ITextTokenizer tokenizer, int vocabSize)
    {
        var context = tokenizer.Encode("a", addSpecialTokens: false);
        var before = tokenizer.Decode(context);
        var texts = new string?[vocabSize];
        for (var id = 0; id < vocabSize; id++)
        {
            var text = tokenizer.Decode([.. context, id]);
            texts[id] = text.StartsWith(before, StringComparison.Ordinal) && text.Length > before.Length ? text[before.Length..] : null;
        }
        return texts;
    }

    /// <inheritdoc />
    public void Mask(Span<float> logits, IReadOnlySet<int> stopIds)
    {
        var complete = _state.IsComplete;
        var fits = complete ? null : _vocabulary.Fitting(_state);
        bool Allowed(int id) => stopIds.Contains(id) ? complete : fits is not null && id < fits.Length && fits[id];
        // Nothing could follow (a whole object and no stop token, e.g. with ignore_eos): leave the choice to the model.
        var any = false;
        for (var id = 0; id < logits.Length && !any; id++)
        {
            any = Allowed(id);
        }
        if (!any)
        {
            return;
        }
        for (var id = 0; id < logits.Length; id++)
        {
            if (!Allowed(id))
            {
                logits[id] = float.NegativeInfinity;
            }
        }
    }

    /// <inheritdoc />
    public void Accept(int token)
    {
        if (token < _vocabulary.Texts.Count && _vocabulary.Texts[token] is { } text && _state.Step(text) is { } next)
        {
            _state = next;
        }
    }

    /// <summary>
    /// A tokenizer's token texts, and which of them fit after each state seen so far: inside a long string or between
    /// members the state repeats, so most steps look their mask up instead of trying every token.
    /// </summary>
    private sealed class Vocabulary(IReadOnlyList<string?> texts)
    {
        private const int MaxCachedStates = 1024;
        private readonly ConcurrentDictionary<JsonPrefix, bool[]> _fitting = new();

        public IReadOnlyList<string?> Texts { get; } = texts;

        public bool[] Fitting(JsonPrefix state)
        {
            if (_fitting.TryGetValue(state, out var cached))
            {
                return cached;
            }
            var fits = new bool[Texts.Count];
            for (var id = 0; id < fits.Length; id++)
            {
                fits[id] = Texts[id] is { } text && state.Step(text) is not null;
            }
            if (_fitting.Count < MaxCachedStates)
            {
                _fitting.TryAdd(state, fits);
            }
            return fits;
        }
    }
}
