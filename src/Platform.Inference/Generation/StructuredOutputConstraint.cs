using System.Collections.Concurrent;

namespace Platform.Inference.Generation;

/// <summary>
/// Structured output (JSON mode, a JSON Schema) over <see cref="JsonSchemaPrefix"/>: each
/// step allows the tokens whose text the state accepts, and a stop token only where the output may end. A model that
/// runs out of <c>max_tokens</c> first leaves the output unfinished (finish reason "length"), as OpenAI's does.
/// </summary>
public class StructuredOutputConstraint(StructuredOutputConstraint.Vocabulary vocabulary, JsonSchemaPrefix start) : ITokenConstraint
{
    private JsonSchemaPrefix _state = start;

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
        private readonly ConcurrentDictionary<JsonSchemaPrefix, bool[]> _fitting = new();

        public IReadOnlyList<string?> Texts { get; } = texts;

        public bool[] Fitting(JsonSchemaPrefix state)
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
