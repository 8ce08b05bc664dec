using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

/// <summary>
/// Structured output over a character-level state (<see cref="JsonPrefix"/>, <see cref="JsonSchemaPrefix"/>): each
/// step allows the tokens whose text the state accepts, and a stop token only where the output may end. A model that
/// runs out of <c>max_tokens</c> first leaves the output unfinished (finish reason "length"), as OpenAI's does.
/// </summary>
public class PrefixConstraint<TState>(PrefixConstraint<TState>.Vocabulary vocabulary, TState start) : ITokenConstraint
    where TState : struct, IPrefixState<TState>
{
    private TState _state = start;

    /// <summary>Whether the output so far may end here.</summary>
    public bool IsComplete => _state.IsComplete;

    /// <inheritdoc />
    public void Mask(Span<float> logits, IReadOnlySet<int> stopIds)
    {
        var complete = _state.IsComplete;
        var fits = vocabulary.Fitting(_state);
        bool Allowed(int id) => stopIds.Contains(id) ? complete : id < fits.Length && fits[id];
        // Nothing could follow (a whole value and no stop token, e.g. with ignore_eos): leave the choice to the model.
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
        if (token < vocabulary.Texts.Count && vocabulary.Texts[token] is { } text && _state.Step(text) is { } next)
        {
            _state = next;
        }
    }

    /// <summary>
    /// A tokenizer's token texts, and which of them fit after each state seen so far: inside a long string or between
    /// members the state repeats, so most steps look their mask up instead of trying every token.
    /// </summary>
    public sealed class Vocabulary(IReadOnlyList<string?> texts)
    {
        private const int MaxCachedStates = 1024;
        private readonly ConcurrentDictionary<TState, bool[]> _fitting = new();

        public IReadOnlyList<string?> Texts { get; } = texts;

        public bool[] Fitting(TState state)
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

/// <summary>The text each token of a tokenizer adds after other text, computed once per tokenizer.</summary>
public static class TokenTexts
{
    private static readonly ConditionalWeakTable<ITextTokenizer, string?[]> Cache = [];

    /// <summary>
    /// Decoded behind a context token and that token's own text cut off, so a SentencePiece word-start keeps its
    /// space. Special tokens add nothing and are never allowed.
    /// </summary>
    public static string?[] Of(ITextTokenizer tokenizer, int vocabSize) =>
        Cache.GetValue(tokenizer, t => Compute(t, vocabSize));

    private static string?[] Compute(ITextTokenizer tokenizer, int vocabSize)
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
}
