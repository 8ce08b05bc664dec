namespace Platform.Rag.Tests.Citing;

/// <summary>
/// RAG questions for teaching stories260K-hf to cite: one, two or three numbered one-sentence sources
/// about different children (cycling with the index), a question naming one of them, and as the answer
/// that child's sentence copied followed by its source's marker. The answering source's position cycles
/// too, and nothing else in the prompt (file names included) reveals it, so with several sources a right
/// marker can only come from matching the question's name to a source, which this 260K-parameter model
/// does not learn (docs/rag.md); with one source the marker is [1].
/// </summary>
internal static class CitationDataset
{
    /// <summary>The tenant template the adapter is trained on (a short one: stories260K has a 512-token context).</summary>
    public const string Template = "<message role=\"system\">Sources:\n{{$sources}}</message>\n{{$history}}\n<message role=\"user\">{{$question}}</message>";

    private static readonly string[] Names = ["Lily", "Tom", "Sue", "Ben", "Max", "Anna", "Tim", "Mia", "Sam", "Lucy", "Jack", "Zoe", "Bob", "Amy", "Jill", "Dan"];
    private static readonly string[] Colors = ["red", "blue", "green", "yellow", "pink", "big", "little", "soft"];
    private static readonly string[] Things = ["ball", "dog", "cat", "kite", "car", "hat", "boat", "doll", "bird", "cake", "box", "tree"];
    private static readonly string[] Files = ["park.txt", "home.txt", "farm.txt", "school.txt", "garden.txt", "shop.txt"];

    /// <summary>One fact: the sentence a source holds and the question it answers.</summary>
    public sealed record Fact(string Name, string Sentence)
    {
        public string Question => $"What does {Name} have?";
    }

    /// <summary>One example: its sources (in prompt order) and their file names, which of them answers (1-based), and the question.</summary>
    public sealed record Example(IReadOnlyList<Fact> Sources, IReadOnlyList<string> FileNames, int Answer)
    {
        public string Question => Sources[Answer - 1].Question;

        public string Completion => $" {Sources[Answer - 1].Sentence} [{Answer}]";
    }

    public static Fact MakeFact(string name, string color, string thing) => new(name, $"{name} has a {color} {thing}.");

    /// <summary>
    /// Example <paramref name="i"/>: deterministic, i mod 3 + 1 sources with different names, the answer at
    /// position (i div 3) mod that count + 1.
    /// </summary>
    public static Example Make(int i)
    {
        var random = new Random(1000 + i);
        var count = i % 3 + 1;
        var names = Names.OrderBy(_ => random.Next()).Take(count).ToArray();
        var facts = names.Select(n => MakeFact(n, Colors[random.Next(Colors.Length)], Things[random.Next(Things.Length)])).ToList();
        // File names drawn independently of the answer's position, so they cannot give it away.
        var files = Files.OrderBy(_ => random.Next()).Take(count).ToList();
        return new Example(facts, files, i / 3 % count + 1);
    }

    /// <summary>The sources as retrieval returns them for one-sentence .txt documents.</summary>
    public static IReadOnlyList<RetrievedChunk> Chunks(Example example) =>
        example.Sources.Select((f, k) => new RetrievedChunk(Guid.Empty, Guid.Empty, Guid.Empty, example.FileNames[k], f.Sentence, null, null, [], 1)).ToList();

    /// <summary>The text the model reads for example <paramref name="i"/>.</summary>
    public static Task<string> PromptAsync(int i) => RagPromptCapture.ModelTextAsync(Template, Chunks(Make(i)), Make(i).Question);
}
