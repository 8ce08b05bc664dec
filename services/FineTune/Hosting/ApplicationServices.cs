using Microsoft.AspNetCore.Http.Features;
using Platform.FineTune;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;
using Platform.Services.FineTune.Pool;
using Platform.Services.FineTune.Worker;

namespace Platform.Services.FineTune.Hosting;

public static class ApplicationServices
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FineTuneOptions>().BindConfiguration("FineTune")
            .Configure<IConfiguration>((options, config) =>
            {
                options.ModelsDir = options.ModelsDir is { Length: > 0 } m ? m : config["Platform:ModelsDir"] ?? "";
                options.DataDir = options.DataDir is { Length: > 0 } d ? d : config["Platform:DataDir"] ?? "";
            })
            .ValidateDataAnnotations().ValidateOnStart();
        // Data annotations do not reach nested sections, so each is validated on its own as well.
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration("FineTune:Worker").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PoolOptions>().BindConfiguration("FineTune:Pool").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EstimateOptions>().BindConfiguration("FineTune:Estimates").ValidateDataAnnotations().ValidateOnStart();
        var maxBytes = builder.Configuration.GetValue<long?>("FineTune:MaxFileBytes") ?? new FineTuneOptions().MaxFileBytes;
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = maxBytes + 64 * 1024);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBytes + 64 * 1024);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton<BaseModelCatalog>();
        builder.Services.AddSingleton<DatasetFiles>();
        builder.Services.AddSingleton<FileStore>();
        builder.Services.AddSingleton<FileTokenCounter>();
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<JobQueue>();
        builder.AddGpuGrant();
        builder.Services.AddSingleton<QueueStore>();
        builder.Services.AddSingleton<QueueEstimator>();
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<JobTrainer>();
        builder.Services.AddHostedService<ValidationWorker>();
        builder.Services.AddHostedService<TrainingWorker>();
        return builder;
    }
}
