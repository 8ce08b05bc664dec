using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.SemanticKernel;

namespace Platform.Rag;

/// <summary>
/// The RAG prompt in Semantic Kernel's prompt-template syntax. A template reads four variables:
/// <c>{{$sources}}</c> (the numbered chunks), <c>{{$history}}</c> (earlier turns as
/// <c>&lt;message role="…"&gt;</c> blocks), <c>{{$question}}</c> and <c>{{$date}}</c>. SK HTML-encodes every
/// variable except <c>history</c> (whose message contents this class encodes itself), so text in a
/// document or a question cannot open a new message with another role.
/// </summary>
public static class RagPrompt
{
    /// <summary>System instructions, one worked example, the numbered sources, the history and the question.</summary>
    public const string DefaultTemplate =
        """
        <message role="system">You answer questions using only the numbered sources below. After each statement taken from a source, cite it with its number in square brackets, like [1] or [2][3]. Cite only sources listed here. If the sources do not contain the answer, say that you do not know.

        Example. Sources: [1] The Eiffel Tower is 330 metres tall. Question: How tall is the Eiffel Tower? Answer: It is 330 metres tall [1].

        Today is {{$date}}.

        Sources:
        {{$sources}}</message>
        {{$history}}
        <message role="user">{{$question}}</message>
        """;

    /// <summary>The template configuration: SK syntax, <c>history</c> allowed to carry message tags.</summary>
    public static PromptTemplateConfig Config(string template) => new(template)
    {
        TemplateFormat = PromptTemplateConfig.SemanticKernelTemplateFormat,
        InputVariables =
        [
            new InputVariable { Name = "sources" },
            new InputVariable { Name = "history", AllowDangerouslySetContent = true },
            new InputVariable { Name = "question" },
            new InputVariable { Name = "date" },
        ],
    };

    /// <summary>"[n] title (p. x–y)" then the chunk text, one block per chunk, numbered from 1.</summary>
    public static string FormatSources(IReadOnlyList<RetrievedChunk> chunks)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < chunks.Count; i++)
        {
            sb.Append(FormatSource(i + 1, chunks[i]));
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>One numbered source block.</summary>
    public static string FormatSource(int number, RetrievedChunk chunk)
    {
        var sb = new StringBuilder();
        sb.Append('[').Append(number.ToString(CultureInfo.InvariantCulture)).Append("] ").Append(chunk.FileName ?? "untitled");
        if (chunk.HeadingPath.Count > 0)
        {
            sb.Append(" — ").Append(string.Join(" › ", chunk.HeadingPath));
        }
        if (chunk.PageStart is { } start)
        {
            sb.Append(chunk.PageEnd is { } end && end != start
                ? string.Create(CultureInfo.InvariantCulture, $" (pp. {start}–{end})")
                : string.Create(CultureInfo.InvariantCulture, $" (p. {start})"));
        }
        sb.Append('\n').Append(chunk.Content).Append("\n\n");
        return sb.ToString();
    }

    /// <summary>History as SK chat-prompt message blocks; contents HTML-encoded, roles limited to user and assistant.</summary>
    public static string FormatHistory(IReadOnlyList<PromptTurn> history)
    {
        var sb = new StringBuilder();
        foreach (var turn in history)
        {
            var role = turn.Role == "assistant" ? "assistant" : "user";
            sb.Append("<message role=\"").Append(role).Append("\">").Append(WebUtility.HtmlEncode(turn.Content)).Append("</message>\n");
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>The template's arguments.</summary>
    public static KernelArguments Arguments(IReadOnlyList<RetrievedChunk> chunks, IReadOnlyList<PromptTurn> history, string question, DateOnly date) =>
        new()
        {
            ["sources"] = chunks.Count == 0 ? "(no sources were found)" : FormatSources(chunks),
            ["history"] = FormatHistory(history),
            ["question"] = question,
            ["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };

    /// <summary>Renders <paramref name="template"/> with SK's prompt-template engine.</summary>
    public static async Task<string> RenderAsync(string template, IReadOnlyList<RetrievedChunk> chunks, IReadOnlyList<PromptTurn> history,
        string question, DateOnly date, CancellationToken ct = default)
    {
        var prompt = new KernelPromptTemplateFactory().Create(Config(template));
        return await prompt.RenderAsync(new Kernel(), Arguments(chunks, history, question, date), ct);
    }

    /// <summary>Null when <paramref name="template"/> parses and renders; otherwise why not, for a person.</summary>
    public static async Task<string?> ValidateAsync(string template, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return "The template is empty.";
        }
        if (!template.Contains("{{$question}}", StringComparison.Ordinal) || !template.Contains("{{$sources}}", StringComparison.Ordinal))
        {
            return "The template must use {{$sources}} and {{$question}}.";
        }
        try
        {
            var chunk = new RetrievedChunk(Guid.Empty, Guid.Empty, Guid.Empty, "example.txt", "example", null, null, [], 1);
            await RenderAsync(template, [chunk], [new PromptTurn("user", "hi")], "question", new DateOnly(2026, 1, 1), ct);
            return null;
        }
        catch (Exception e) when (e is KernelException or KeyNotFoundException)
        {
            return "The template does not render: " + e.Message;
        }
    }
}
