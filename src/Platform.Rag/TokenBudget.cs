namespace Platform.Rag;

/// <summary>What fits in the prompt: how many of the ranked chunks and how many of the latest history turns.</summary>
/// <param name="Chunks">The first <c>Chunks</c> retrieved chunks fit.</param>
/// <param name="HistoryTurns">The last <c>HistoryTurns</c> history messages fit.</param>
/// <param name="PromptTokens">Tokens of the prompt with those chunks and turns.</param>
public sealed record BudgetPlan(int Chunks, int HistoryTurns, int PromptTokens);

/// <summary>
/// Splits a model's context between the answer, the fixed prompt (template, instructions, question),
/// the retrieved chunks and the conversation history. Chunks come first (the answer is grounded in
/// them), in rank order, stopping at the first that does not fit; history gets what is left, newest
/// turns first, never splitting a turn.
/// </summary>
public static class TokenBudget
{
    /// <summary>Tokens reserved per chunk or turn for its wrapper (number, title, role tags) beyond its own text.</summary>
    public const int PerItemOverhead = 8;

    /// <summary>
    /// Plans the prompt. <paramref name="fixedTokens"/> is the rendered template with no chunks and no
    /// history; it must leave room for <paramref name="completionTokens"/>, or
    /// <see cref="ContextLengthExceededException"/> is thrown naming the limit.
    /// </summary>
    /// <param name="contextLength">The model's context length (max_model_len).</param>
    /// <param name="completionTokens">Tokens kept free for the answer (max_tokens).</param>
    /// <param name="fixedTokens">The prompt without chunks and history.</param>
    /// <param name="chunkTokens">Each ranked chunk's tokens, best first.</param>
    /// <param name="historyTokens">Each history message's tokens, oldest first.</param>
    /// <param name="maxChunkShare">The most of the free room chunks may take (0..1], so some history survives.</param>
    public static BudgetPlan Plan(int contextLength, int completionTokens, int fixedTokens, IReadOnlyList<int> chunkTokens,
        IReadOnlyList<int> historyTokens, double maxChunkShare = 0.75)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);
        var free = contextLength - completionTokens - fixedTokens;
        if (free < 0)
        {
            throw new ContextLengthExceededException(contextLength, fixedTokens, completionTokens);
        }
        var used = 0;
        var chunks = 0;
        var chunkRoom = historyTokens.Count == 0 ? free : (int)(free * Math.Clamp(maxChunkShare, 0, 1));
        while (chunks < chunkTokens.Count && used + chunkTokens[chunks] + PerItemOverhead <= chunkRoom)
        {
            used += chunkTokens[chunks] + PerItemOverhead;
            chunks++;
        }
        var turns = 0;
        while (turns < historyTokens.Count)
        {
            var cost = historyTokens[historyTokens.Count - 1 - turns] + PerItemOverhead;
            if (used + cost > free)
            {
                break;
            }
            used += cost;
            turns++;
        }
        return new BudgetPlan(chunks, turns, fixedTokens + used);
    }
}

/// <summary>The question and fixed prompt alone do not fit the model's context.</summary>
public sealed class ContextLengthExceededException(int contextLength, int promptTokens, int completionTokens)
    : Exception($"This model's maximum context length is {contextLength} tokens; the question and prompt template take {promptTokens} tokens " +
        $"and {completionTokens} are reserved for the answer. Shorten the question or lower max_tokens.")
{
    public int ContextLength { get; } = contextLength;

    public int PromptTokens { get; } = promptTokens;
}
