using System.Runtime.CompilerServices;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

/// <summary>
/// OpenAI's JSON mode (<c>response_format: {"type": "json_object"}</c>): the output is one JSON object
/// (<see cref="JsonPrefix"/>); a stop token only once the object is whole, and then nothing but a stop token.
/// </summary>
public sealed class JsonObjectConstraint(IReadOnlyList<string?> texts)
    : PrefixConstraint<JsonPrefix>(new Vocabulary(texts), JsonPrefix.Object)
{
    private static readonly ConditionalWeakTable<ITextTokenizer, Vocabulary> Vocabularies = [];

    /// <summary>A fresh constraint per sequence over <paramref name="tokenizer"/>'s first <paramref name="vocabSize"/> ids.</summary>
    public static Func<ITokenConstraint> For(ITextTokenizer tokenizer, int vocabSize)
    {
        var vocabulary = Vocabularies.GetValue(tokenizer, t => new Vocabulary(Generation.TokenTexts.Of(t, vocabSize)));
        return () => new PrefixConstraint<JsonPrefix>(vocabulary, JsonPrefix.Object);
    }

    /// <summary>The text each token adds after other text (<see cref="Generation.TokenTexts.Of"/>).</summary>
    public static string?[] TokenTexts(ITextTokenizer tokenizer, int vocabSize) => Generation.TokenTexts.Of(tokenizer, vocabSize);
}

/// <summary>
/// OpenAI's structured outputs (<c>response_format: {"type": "json_schema", "json_schema": {"schema": …}}</c>): the
/// output is a value of the schema (<see cref="JsonSchemaPrefix"/>). Masks are cached per request, since the states
/// belong to its schema.
/// </summary>
public static class JsonSchemaConstraint
{
    /// <summary>A fresh constraint per sequence (the n choices of a request share the mask cache).</summary>
    public static Func<ITokenConstraint> For(ITextTokenizer tokenizer, int vocabSize, JsonSchemaNode schema)
    {
        var vocabulary = new PrefixConstraint<JsonSchemaPrefix>.Vocabulary(TokenTexts.Of(tokenizer, vocabSize));
        return () => new PrefixConstraint<JsonSchemaPrefix>(vocabulary, JsonSchemaPrefix.For(schema));
    }
}
