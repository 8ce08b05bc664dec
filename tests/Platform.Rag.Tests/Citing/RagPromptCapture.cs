using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Platform.Rag.Tests.Citing;

/// <summary>
/// The text the model reads for a RAG answer, produced by the Rag service's own code path: the
/// template and arguments of <see cref="RagPrompt"/>, rendered and parsed into chat messages by a
/// Semantic Kernel prompt function exactly as <c>RagAnswerer</c> builds it, then joined one message
/// per line — what Inference does for a checkpoint without a chat template (stories260K-hf).
/// </summary>
internal static class RagPromptCapture
{
    public static async Task<string> ModelTextAsync(string template, IReadOnlyList<RetrievedChunk> sources, string question)
    {
        var capture = new CapturingChat();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatCompletionService>(capture);
        var function = KernelFunctionFactory.CreateFromPrompt(RagPrompt.Config(template), new KernelPromptTemplateFactory());
        await builder.Build().InvokeAsync(function, RagPrompt.Arguments(sources, [], question, new DateOnly(2026, 11, 26)));
        return string.Join("\n", capture.Messages!.Select(m => m.Content));
    }

    private sealed class CapturingChat : IChatCompletionService
    {
        public ChatHistory? Messages { get; private set; }

        public IReadOnlyDictionary<string, object?> Attributes { get; } = new Dictionary<string, object?>();

        public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory,
            PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
        {
            Messages = chatHistory;
            return Task.FromResult<IReadOnlyList<ChatMessageContent>>([new ChatMessageContent(AuthorRole.Assistant, "")]);
        }

        public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory,
            PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Messages = chatHistory;
            await Task.CompletedTask;
            yield break;
        }
    }
}
