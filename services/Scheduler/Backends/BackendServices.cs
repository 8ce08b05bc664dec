using k8s;
using Microsoft.Extensions.Options;
using Platform.Services.Scheduler.Backends.Kubernetes;
using Platform.Services.Scheduler.Backends.Local;

namespace Platform.Services.Scheduler.Backends;

/// <summary>Registers the <see cref="IWorkloadBackend"/> that <c>Scheduler:Backend</c> names.</summary>
public static class BackendServices
{
    /// <summary>Names accepted by <c>Scheduler:Backend</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "local", "kubernetes"];

    /// <summary>none (default), local or kubernetes; anything else stops the start.</summary>
    public static WebApplicationBuilder AddWorkloadBackend(this WebApplicationBuilder builder)
    {
        var name = (builder.Configuration["Scheduler:Backend"] ?? "none").Trim().ToLowerInvariant();
        switch (name)
        {
            case "none" or "":
                builder.Services.AddSingleton<IWorkloadBackend, NoBackend>();
                break;
            case "local":
                builder.Services.AddOptions<LocalBackendOptions>().BindConfiguration("Scheduler:Local").ValidateDataAnnotations()
                    .Validate(o => o.Commands.Count > 0, "Scheduler:Backend is local but Scheduler:Local:Commands names no command")
                    .Validate(o => !o.Commands.SelectMany(c => CommandTemplate.Problems(c.Key, c.Value)).Any(),
                        "Scheduler:Local:Commands has an empty FileName or an unknown placeholder")
                    .ValidateOnStart();
                builder.Services.AddSingleton<LocalBackend>();
                builder.Services.AddSingleton<IWorkloadBackend>(sp => sp.GetRequiredService<LocalBackend>());
                break;
            case "kubernetes":
                builder.Services.AddOptions<KubernetesBackendOptions>().BindConfiguration("Scheduler:Kubernetes").ValidateDataAnnotations()
                    .Validate(o => o.Workloads.Values.All(w => !string.IsNullOrWhiteSpace(w.Image)), "every Scheduler:Kubernetes:Workloads entry needs an Image")
                    .ValidateOnStart();
                builder.Services.AddSingleton<IKubernetes>(sp => new k8s.Kubernetes(ClientConfiguration(sp.GetRequiredService<IOptions<KubernetesBackendOptions>>().Value)));
                builder.Services.AddSingleton<IWorkloadBackend, KubernetesBackend>();
                break;
            default:
                throw new InvalidOperationException($"Scheduler:Backend '{name}' is not one of {string.Join(", ", Names)}");
        }
        return builder;
    }

    private static KubernetesClientConfiguration ClientConfiguration(KubernetesBackendOptions options) =>
        options.ApiServer is { Length: > 0 } host ? new KubernetesClientConfiguration { Host = host }
        : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
        : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfigPath is { Length: > 0 } path ? path : null);
}
