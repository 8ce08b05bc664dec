using System.Text.Json;

namespace Platform.FineTune.Tests;

/// <summary>
/// A small dataset with a distinctive, learnable pattern for stories260K: every story opening is
/// completed by the same fixed sentence, which the base model never writes.
/// </summary>
internal static class PatternDataset
{
    public const string Ending = " The purple moon sang to the frog.";

    private static readonly string[] Names = ["Lily", "Tom", "Sue", "Ben", "Max", "Anna", "Tim", "Mia", "Sam", "Lucy", "Jack", "Zoe"];
    private static readonly string[] Things = ["a red ball", "a big dog", "a little cat", "a toy car", "a blue kite", "a pretty flower"];

    /// <summary>Story openings; different indices give different openings.</summary>
    public static string Prompt(int i) =>
        $"Once upon a time, there was a little {(i % 2 == 0 ? "girl" : "boy")} named {Names[i % Names.Length]}. " +
        $"{(i % 2 == 0 ? "She" : "He")} had {Things[i / Names.Length % Things.Length]}.";

    /// <summary>JSONL lines in prompt/completion format for indices [from, to), each completed by <paramref name="ending"/>.</summary>
    public static string Jsonl(int from, int to, string ending = Ending) => string.Join('\n', Enumerable.Range(from, to - from)
        .Select(i => JsonSerializer.Serialize(new { prompt = Prompt(i), completion = ending })));
}
