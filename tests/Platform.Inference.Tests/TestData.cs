using System.Text.Json;

namespace Platform.Inference.Tests;

/// <summary>Locates the shared test assets beside the repository (never copied into it).</summary>
internal static class TestData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Platform.sln")))
        {
            dir = dir.Parent;
        }
        if (dir?.Parent is null)
        {
            throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
        }
        return System.IO.Path.Combine(dir.Parent.FullName, "shared", "testdata");
    });

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    public static string Stories260KHf => Path("models", "stories260K-hf");

    public static JsonElement Json(params string[] parts)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path(parts)));
        return document.RootElement.Clone();
    }

    public static int[] Ints(this JsonElement element) => element.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
