using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Platform.Services.Rag.Clients;

/// <summary>Inference's <c>GET /v1/models</c>: which model to use and its context length.</summary>
public sealed class InferenceModels(IHttpClientFactory factory, RagOptions options, ILogger<InferenceModels> logger)
{
    /// <summary>The named model (or the first listed when <paramref name="model"/> is empty); null when it is not served.</summary>
    public async Task<(string Id, int ContextLength)?> FindAsync(string? model, CancellationToken ct)
    {
        var client = factory.CreateClient(ServiceClients.Inference);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.LookupTimeout);
        ModelList? list;
        try
        {
            using var response = await client.GetAsync("v1/models", deadline.Token);
            if (response.StatusCode is >= HttpStatusCode.InternalServerError)
            {
                throw new ServiceUnavailableException($"The inference service answered {(int)response.StatusCode}; no answer can be generated now.");
            }
            response.EnsureSuccessStatusCode();
            list = await response.Content.ReadFromJsonAsync<ModelList>(deadline.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Listing the inference service's models failed");
            throw new ServiceUnavailableException("The inference service is unavailable or did not answer in time; no answer can be generated now. Try again shortly.", e);
        }
        var card = string.IsNullOrEmpty(model) ? list?.Data.FirstOrDefault() : list?.Data.FirstOrDefault(m => m.Id == model);
        return card is null ? null : (card.Id, card.MaxModelLength);
    }

    private sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data);

    private sealed record ModelCard(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("max_model_len")] int MaxModelLength);
}
