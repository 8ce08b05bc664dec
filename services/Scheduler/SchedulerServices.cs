using System.Text.Json;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Data;
using Platform.Services.Scheduler.Pool;
using Platform.Services.Scheduler.Serving;

namespace Platform.Services.Scheduler;

/// <summary>Service registrations of the Scheduler.</summary>
public static class SchedulerServices
{
    /// <summary>Options, the pool runtime and its store, the workload backend, the Inference metrics scraper, the inference replicas, Redis publishing, the background loop, caller identity.</summary>
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration("Scheduler").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>();
        builder.AddCallerIdentity();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton<PoolStore>();
        builder.Services.AddSingleton<PoolEvents>();
        builder.AddWorkloadBackend();
        builder.Services.AddOptions<ServingOptions>().BindConfiguration("Scheduler:Serving").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(InferenceScraper.ClientName);
        builder.Services.AddSingleton<InferenceScraper>();
        builder.Services.AddSingleton<ServingMonitor>();
        builder.Services.AddOptions<ReplicaSetOptions>().BindConfiguration("Scheduler:Replicas").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(InferenceReplicas.ClientName);
        builder.Services.AddSingleton<InferenceReplicas>();
        builder.Services.AddSingleton<PoolRuntime>();
        builder.Services.AddHostedService<SchedulerLoop>();
        return builder;
    }
}
