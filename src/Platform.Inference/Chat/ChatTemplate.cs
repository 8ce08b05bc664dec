using System.Text;

namespace Platform.Inference.Chat;

/// <summary>
/// Formats a conversation as the checkpoint's chat template would. The family is recognised from
/// the Jinja template in tokenizer_config.json ("chat_template"); the template itself is not
/// executed, so template-specific extras (default system prompts, tool blocks, dates) are not
/// reproduced.
/// </summary>
public sealed class ChatTemplate
{
    private readonly string _bos;
    private readonly string _eos;

    /// <summary>Creates a formatter for <paramref name="format"/> using the tokenizer's BOS/EOS text.</summary>
    public ChatTemplate(ChatFormat format, string bosToken = "<s>", string eosToken = "</s>")
    {
        Format = format;
        _bos = bosToken;
        _eos = eosToken;
    }

    /// <summary>The family in use.</summary>
    public ChatFormat Format { get; }

    /// <summary>Special tokens that end an assistant turn in this format; generation stops on them.</summary>
    public IReadOnlyList<string> EndOfTurnTokens => Format switch
    {
        ChatFormat.ChatML => ["<|im_end|>"],
        ChatFormat.Llama3 => ["<|eot_id|>"],
        _ => [_eos],
    };

    /// <summary>Recognises the family of a Jinja chat template; null when it is none of the supported ones.</summary>
    public static ChatFormat? Detect(string? template) => template switch
    {
        null => null,
        _ when template.Contains("<|im_start|>", StringComparison.Ordinal) => ChatFormat.ChatML,
        _ when template.Contains("<|start_header_id|>", StringComparison.Ordinal) => ChatFormat.Llama3,
        _ when template.Contains("<<SYS>>", StringComparison.Ordinal) => ChatFormat.Llama2,
        _ when template.Contains("[INST]", StringComparison.Ordinal) => ChatFormat.Mistral,
        _ => null,
    };

    /// <summary>
    /// The prompt text, special tokens written literally (encode it with special-token parsing and
    /// without adding BOS: the text already has it where the family wants one).
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Format switch
        {
            ChatFormat.ChatML => RenderChatMl(messages, addGenerationPrompt),
            ChatFormat.Llama3 => RenderLlama3(messages, addGenerationPrompt),
            _ => RenderInst(messages),
        };
    }

    private static string RenderChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var m in messages)
        {
            text.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        }
        if (addGenerationPrompt)
        {
            text.Append("<|im_start|>assistant\n");
        }
        return text.ToString();
    }

    private string RenderLlama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder(_bos);
        foreach (var m in messages)
        {
            text.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n")
                .Append(m.Content.Trim()).Append("<|eot_id|>");
        }
        if (addGenerationPrompt)
        {
            text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return text.ToString();
    }

    private string RenderInst(IReadOnlyList<ChatMessage> messages)
    {
        var system = messages.Count > 0 && messages[0].Role == "system" ? messages[0].Content.Trim() : null;
        var text = new StringBuilder();
        var firstUser = true;
        foreach (var m in messages.Skip(system is null ? 0 : 1))
        {
            if (m.Role == "assistant")
            {
                text.Append(Format == ChatFormat.Llama2 ? $" {m.Content.Trim()} " : m.Content.Trim()).Append(_eos);
                continue;
            }
            var content = m.Content.Trim();
            if (firstUser && system is not null)
            {
                content = Format == ChatFormat.Llama2 ? $"<<SYS>>\n{system}\n<</SYS>>\n\n{content}" : $"{system}\n\n{content}";
            }
            firstUser = false;
            if (Format == ChatFormat.Llama2 || text.Length == 0)
            {
                text.Append(_bos);
            }
            text.Append("[INST] ").Append(content).Append(" [/INST]");
        }
        return text.ToString();
    }
}
