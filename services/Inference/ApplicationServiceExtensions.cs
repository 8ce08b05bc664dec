using System.Diagnostics.Metrics;
using Platform.Inference.Serving;
using Platform.Services.Inference.Models;

namespace Platform.Services.Inference;

public static class ApplicationServiceExtensions
{
    /// <summary>
    /// Options, the meter, the model catalog (loaded at start, engines stopped and freed at shutdown)
    /// and the embedding catalog (models loaded on first use).
    /// </summary>
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration("Inference").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => new ServingMetrics(sp.GetRequiredService<IMeterFactory>().Create(ServingMetrics.MeterName)));
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelCatalog>());
        builder.Services.AddSingleton<EmbeddingCatalog>();
        return builder;
    }
}
