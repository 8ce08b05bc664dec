using System.Diagnostics.Metrics;
using Platform.Inference.Serving;
using Platform.Services.Inference.Models;

namespace Platform.Services.Inference;

public static class ApplicationServiceExtensions
{
    /// <summary>Options, the meter and the model catalog (loaded at start, engines stopped at shutdown).</summary>
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration("Inference").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => new ServingMetrics(sp.GetRequiredService<IMeterFactory>().Create(ServingMetrics.MeterName)));
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelCatalog>());
        return builder;
    }
}
