using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Metering;
using Platform.Services.Gateway.Proxy;
using Platform.Services.Gateway.Replicas;
using Platform.Services.Gateway.Security;
using Platform.Services.Gateway.Throttling;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Platform.Services.Gateway.Hosting;

public static class ApplicationServices
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.AddPlatformDatabase("gateway");
        builder.AddGatewayRedis();
        builder.AddCallerIdentity();

        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration("Gateway").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<TenantStore>();
        services.AddSingleton<PlanStore>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<KeyLookup>();
        services.AddSingleton(sp => new ApiKeySecret(System.Text.Encoding.UTF8.GetBytes(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.KeyHashSecret)));
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<CallerFactory>();
        services.AddSingleton<LocalLimiter>();
        services.AddSingleton<SessionThrottle>();
        services.AddSingleton<ProxyGate>();
        AddHosted<KeyInvalidationBus>(services);
        AddHosted<ConsumerShareMonitor>(services);
        AddHosted<LeaseRenewer>(services);
        AddHosted<FairQueue>(services);
        AddHosted<UsageRecorder>(services);
        services.AddOptions<ReplicaOptions>().BindConfiguration(ReplicaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        AddHosted<InferenceReplicaSource>(services);

        var (routes, clusters) = ProxyRoutes.Build(builder.Configuration);
        services.AddSingleton<ILoadBalancingPolicy, SessionAffinityPolicy>();
        services.AddReverseProxy()
            .LoadFromMemory(routes, clusters)
            .AddTransforms(context => context.AddRequestTransform(transform =>
            {
                var sp = transform.HttpContext.RequestServices;
                IdentityTransform.Apply(transform, sp.GetRequiredService<CallerFactory>(), sp.GetRequiredService<TimeProvider>());
                return ValueTask.CompletedTask;
            }));
        return builder;
    }

    /// <summary>Proxied routes, behind <see cref="ProxyGate"/>.</summary>
    public static WebApplication MapGatewayProxy(this WebApplication app)
    {
        app.MapReverseProxy(pipeline =>
        {
            var gate = pipeline.ApplicationServices.GetRequiredService<ProxyGate>();
            pipeline.Use((context, next) => gate.InvokeAsync(context, next));
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }

    private static void AddHosted<T>(IServiceCollection services) where T : class, IHostedService
    {
        services.AddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }
}
