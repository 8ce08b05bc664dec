namespace Platform.Inference.Chat;

/// <summary>One chat turn: role ("system", "user", "assistant") and content.</summary>
public sealed record ChatMessage(string Role, string Content);
