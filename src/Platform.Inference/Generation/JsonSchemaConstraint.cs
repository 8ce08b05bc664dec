using Platform.Inference.Tokenization;

namespace Platform.Inference.Generation;

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
        var vocabulary = new StructuredOutputConstraint.Vocabulary(TokenTexts.Of(tokenizer, vocabSize));
        return () => new StructuredOutputConstraint(vocabulary, JsonSchemaPrefix.For(schema));
    }
}
