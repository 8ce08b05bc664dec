namespace Platform.Inference.Chat;

/// <summary>The chat prompt families the engine can format.</summary>
public enum ChatFormat
{
    /// <summary>&lt;|im_start|&gt;role … &lt;|im_end|&gt; (Qwen2, SmolLM-Instruct, many fine-tunes).</summary>
    ChatML,

    /// <summary>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt; … &lt;|eot_id|&gt; (Llama 3.x).</summary>
    Llama3,

    /// <summary>[INST] … [/INST] with a &lt;&lt;SYS&gt;&gt; block (Llama 2 chat).</summary>
    Llama2,

    /// <summary>[INST] … [/INST] with the system prompt folded into the first user turn (Mistral).</summary>
    Mistral,
}
