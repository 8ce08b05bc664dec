using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using OpenAI;

namespace Platform.Services.Rag.Clients;

/// <summary>
/// Builds a request's Semantic Kernel. Its OpenAI connector services — chat completion and one embedding generator per
/// knowledge-base embedder (service id = the embedder id) — all point at the Inference service's internal
/// <c>/v1</c> endpoint through the named client that signs every call as the current caller.
/// </summary>
public sealed class InferenceKernel(IHttpClientFactory httpClients, IConfiguration configuration)
{
    // Inference trusts the signed caller headers; the OpenAI client needs some key to send.
    private const string ApiKey = "platform-internal";

    private readonly Uri _inferenceV1 = new(ServiceClients.BaseUrl(configuration, ServiceClients.Inference).ToString().TrimEnd('/') + "/v1");

    /// <summary>A Kernel with chat completion for <paramref name="chatModel"/> (when given) and an embedding generator per embedder.</summary>
    public Kernel Create(string? chatModel, IEnumerable<string> embeddingModels)
    {
        var http = httpClients.CreateClient(ServiceClients.Inference);
        var builder = Kernel.CreateBuilder();
        if (chatModel is not null)
        {
            builder.AddOpenAIChatCompletion(modelId: chatModel, endpoint: _inferenceV1, apiKey: ApiKey, httpClient: http);
        }
        var models = embeddingModels.Distinct(StringComparer.Ordinal).ToList();
        if (models.Count > 0)
        {
            // SK's embedding overload taking an HttpClient has no endpoint parameter, so the connector gets an OpenAIClient
            // on the same signed HttpClient and endpoint. No retries or client-side timeout: the caller's deadline decides.
            var client = new OpenAIClient(new ApiKeyCredential(ApiKey), new OpenAIClientOptions
            {
                Endpoint = _inferenceV1,
                Transport = new HttpClientPipelineTransport(http),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = Timeout.InfiniteTimeSpan,
            });
            foreach (var model in models)
            {
                builder.AddOpenAIEmbeddingGenerator(modelId: model, openAIClient: client, serviceId: model);
            }
        }
        return builder.Build();
    }

    /// <summary>The Kernel's embedding generator for an embedder id (registered by <see cref="Create"/>).</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> EmbeddingGenerator(Kernel kernel, string model) =>
        kernel.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(model);
}
