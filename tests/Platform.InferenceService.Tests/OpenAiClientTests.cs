using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class OpenAiClientTests(InferenceHost host)
{
    private ChatClient Chat(HttpClient http) => new(InferenceHost.Model, new ApiKeyCredential("unused-the-gateway-signs"),
        new OpenAIClientOptions { Endpoint = new Uri(http.BaseAddress!, "v1"), Transport = new HttpClientPipelineTransport(http) });

    [Fact]
    public async Task OfficialClient_StreamsChatCompletion_EqualToEngineCore()
    {
        using var http = host.Client();
        var messages = new ChatMessage[] { new SystemChatMessage("Lily and Ben"), new UserChatMessage("Once upon a time, there was a") };
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 24, Temperature = 0 };

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in Chat(http).CompleteChatStreamingAsync(messages, options))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        // stories260K has no chat template: the turns' contents, one per line, with BOS.
        var expected = Reference.Greedy("Lily and Ben\nOnce upon a time, there was a", 24);
        Assert.Equal(expected.Text, text.ToString());
        Assert.True(updates > 3, $"expected a stream of updates, got {updates}");
        Assert.Equal(expected.FinishReason == Platform.Inference.Generation.FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(expected.PromptTokenIds.Count, usage.InputTokenCount);
        Assert.Equal(expected.TokenIds.Count, usage.OutputTokenCount);
    }

    [Fact]
    public async Task OfficialClient_NonStreamingChatCompletion()
    {
        using var http = host.Client();
        var completion = (await Chat(http).CompleteChatAsync([new UserChatMessage("The cat")],
            new ChatCompletionOptions { MaxOutputTokenCount = 10, Temperature = 0 })).Value;

        var expected = Reference.Greedy("The cat", 10);
        Assert.Equal(expected.Text, completion.Content[0].Text);
        Assert.Equal(InferenceHost.Model, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(expected.TokenIds.Count, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task OfficialClient_JsonModeWithLogitBias_GetsAWholeObject()
    {
        using var http = host.Client();
        var texts = Platform.Inference.Generation.JsonObjectConstraint.TokenTexts(Reference.Model.Tokenizer, Reference.Model.Model.Config.VocabSize);
        var options = new ChatCompletionOptions
        {
            MaxOutputTokenCount = 20,
            Temperature = 0.5f,
            ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(),
        };
        // The client's own logit_bias: "}" as early as JSON allows, so the story model's object closes at once.
        options.LogitBiases[Array.IndexOf(texts, "}")] = 100;
        var completion = (await Chat(http).CompleteChatAsync([new UserChatMessage("The cat as JSON")], options)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("{}", completion.Content[0].Text.Trim());
    }

    [Fact]
    public async Task OfficialClient_StructuredOutput_FollowsTheSchema()
    {
        using var http = host.Client();
        var schema = BinaryData.FromString("""
            {"type": "object", "additionalProperties": false, "required": ["mood", "ok"],
             "properties": {"mood": {"type": "string", "enum": ["happy", "sad"]}, "ok": {"type": "boolean"}}}
            """);
        var options = new ChatCompletionOptions
        {
            MaxOutputTokenCount = 150,
            Temperature = 0.8f,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("mood", schema, jsonSchemaIsStrict: true),
        };
        var completion = (await Chat(http).CompleteChatAsync([new UserChatMessage("How is the cat?")], options)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        using var answer = System.Text.Json.JsonDocument.Parse(completion.Content[0].Text);
        Assert.Contains(answer.RootElement.GetProperty("mood").GetString(), new[] { "happy", "sad" });
    }
}
