namespace Platform.Rag;

/// <summary>One message of the conversation history: "user" or "assistant", and its text.</summary>
public sealed record PromptTurn(string Role, string Content);
