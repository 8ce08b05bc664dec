using Platform.FineTune;
using Platform.Services.FineTune.Pool;

namespace Platform.Services.FineTune.Hosting;

/// <summary>Registers the <see cref="IGpuGrant"/> that <c>FineTune:Pool:Mode</c> selects.</summary>
public static class GpuGrantServices
{
    /// <summary>The scheduler's named service (<c>Services:scheduler</c> is its base URL).</summary>
    public const string SchedulerService = "scheduler";

    public static WebApplicationBuilder AddGpuGrant(this WebApplicationBuilder builder)
    {
        var mode = builder.Configuration["FineTune:Pool:Mode"] ?? PoolOptions.Local;
        if (!string.Equals(mode, PoolOptions.Scheduler, StringComparison.Ordinal))
        {
            builder.Services.AddSingleton<IGpuGrant, LocalGpuGrant>();
            return builder;
        }
        if (!Uri.TryCreate(builder.Configuration[$"Services:{SchedulerService}"], UriKind.Absolute, out var baseUrl))
        {
            throw new InvalidOperationException(
                $"FineTune:Pool:Mode is '{PoolOptions.Scheduler}', so Services:{SchedulerService} must be the base URL of the scheduler service.");
        }
        builder.Services.AddTransient<SchedulerCallerHandler>();
        // The grant is a singleton holding the typed client, so connections are recycled by the handler, not the factory.
        builder.Services.AddHttpClient<SchedulerClient>(c => c.BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/"))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler<SchedulerCallerHandler>()
            .AddStandardResilienceHandler();
        builder.Services.AddSingleton<IGpuGrant, SchedulerGpuGrant>();
        return builder;
    }
}
