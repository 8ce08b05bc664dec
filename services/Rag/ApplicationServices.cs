using System.Net;
using Microsoft.Extensions.Options;
using Platform.Services.Rag.Clients;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag;

public static class ApplicationServices
{
    /// <summary>Options, the signed clients for Ingestion and Inference, stores and the retriever.</summary>
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RagOptions>().BindConfiguration("Rag").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<RagOptions>>().Value);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddTransient<CallerSigningHandler>();
        var options = builder.Configuration.GetSection("Rag").Get<RagOptions>() ?? new RagOptions();
        foreach (var service in new[] { ServiceClients.Ingestion, ServiceClients.Inference })
        {
            var baseUrl = ServiceClients.BaseUrl(builder.Configuration, service);
            builder.Services.AddHttpClient(service, c =>
                {
                    c.BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/");
                    c.Timeout = Timeout.InfiniteTimeSpan; // streaming answers; each call sets its own deadline
                })
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    ConnectTimeout = options.ConnectTimeout,
                    AutomaticDecompression = DecompressionMethods.None,
                })
                .AddHttpMessageHandler<CallerSigningHandler>();
        }
        builder.Services.AddSingleton<IngestionClient>();
        builder.Services.AddSingleton<InferenceModels>();
        builder.Services.AddSingleton<InferenceKernel>();
        builder.Services.AddSingleton<QueryEmbedder>();
        builder.Services.AddSingleton<HybridRetriever>();
        builder.Services.AddSingleton<TemplateStore>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<SettingsStore>();
        builder.Services.AddSingleton<LlmCache>();
        builder.Services.AddSingleton<RagAnswerer>();
        return builder;
    }
}
