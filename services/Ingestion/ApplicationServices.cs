using Microsoft.Extensions.Options;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Parsing;
using Platform.Ingestion.Pipeline;
using Platform.Ingestion.Storage;

namespace Platform.Services.Ingestion;

public static class ApplicationServices
{
    /// <summary>Options, stores, the pipeline and its background workers.</summary>
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>().BindConfiguration("Ingestion").ValidateDataAnnotations()
            .Validate(o => o.DefaultChunkOverlap < o.DefaultChunkTokens, "Ingestion:DefaultChunkOverlap must be less than DefaultChunkTokens.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<IngestionOptions>>().Value);
        var dataDir = builder.Configuration["Platform:DataDir"] ?? Path.Combine(AppContext.BaseDirectory, "data");
        builder.Services.AddSingleton(new DocumentFiles(Path.Combine(dataDir, "documents")));
        builder.Services.AddSingleton(new EmbeddingModelCatalog(builder.Configuration["Platform:ModelsDir"]));
        builder.Services.AddSingleton<DocumentParsers>();
        builder.Services.AddSingleton<KnowledgeBaseStore>();
        builder.Services.AddSingleton<DocumentStore>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton(sp => new ChunkWriter(sp.GetRequiredService<IngestionOptions>().BulkWrite));
        builder.Services.AddSingleton<IngestionEvents>();
        builder.Services.AddSingleton<IngestionProcessor>();
        builder.Services.AddSingleton<IngestionWorker>();
        builder.Services.AddHostedService<IngestionWorkers>();
        return builder;
    }
}
