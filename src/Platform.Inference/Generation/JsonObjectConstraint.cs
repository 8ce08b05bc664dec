using System.Runtime.CompilerServices;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

/// <summary>
/// OpenAI's JSON mode (<c>response_format: {"type": "json_object"}</c>): the output is one JSON object
/// (<see cref="JsonSchemaPrefix.Object"/>); a stop token only once the object is whole, and then nothing but a stop token.
/// Every request's states are of the same schema, so the mask cache is shared per tokenizer.
/// </summary>
public sealed class JsonObjectConstraint(IReadOnlyList<string?> texts)
    : StructuredOutputConstraint(new Vocabulary(texts), JsonSchemaPrefix.Object)
{
    private static readonly ConditionalWeakTable<ITextTokenizer, Vocabulary> Vocabularies = [];

    /// <summary>A fresh constraint per sequence over <paramref name="tokenizer"/>'s first <paramref name="vocabSize"/> ids.</summary>
    public static Func<ITokenConstraint> For(ITextTokenizer tokenizer, int vocabSize)
    {
        var vocabulary = Vocabularies.GetValue(tokenizer, t => new Vocabulary(Generation.TokenTexts.Of(t, vocabSize)));
        return () => new StructuredOutputConstraint(vocabulary, JsonSchemaPrefix.Object);
    }

    /// <summary>The text each token adds after other text (<see cref="Generation.TokenTexts.Of"/>).</summary>
    public static string?[] TokenTexts(ITextTokenizer tokenizer, int vocabSize) => Generation.TokenTexts.Of(tokenizer, vocabSize);
}
