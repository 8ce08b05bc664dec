#pragma warning disable OPENAI001 // The client's fine-tuning API is marked experimental.
using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Files;
using OpenAI.FineTuning;

namespace Platform.FineTune.Tests;

/// <summary>The official OpenAI .NET client, pointed at the in-process host and signed as the tenant like the gateway does.</summary>
internal static class OpenAiClients
{
    public static (OpenAIFileClient Files, FineTuningClient FineTuning) OpenAi(this FineTuneFactory factory, Guid tenantId)
    {
        var http = factory.For(tenantId);
        // The key is never read: services trust only the gateway's signed caller headers.
        var client = new OpenAIClient(new ApiKeyCredential("sk-unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        return (client.GetOpenAIFileClient(), client.GetFineTuningClient());
    }
}
