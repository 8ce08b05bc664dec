using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    private const string ReadyTag = "ready";

    /// <summary>
    /// Telemetry, health checks, ProblemDetails and logging conventions shared by every host.
    /// Configuration comes from appsettings.json, appsettings.{Environment}.json and environment
    /// variables (the ASP.NET Core defaults), plus the platform's DATABASE_URL and REDIS_URL.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Configuration.AddPlatformEnvironmentAliases();
        builder.Services.AddSingleton(new ServiceIdentity(serviceName, ServiceIdentity.VersionOf(Assembly.GetEntryAssembly())));

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: ServiceIdentity.VersionOf(Assembly.GetEntryAssembly())))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql", "Platform.*")
                .AddPrometheusExporter());
        // Spans are recorded only when there is somewhere to send them: with no listener, ASP.NET Core
        // and HttpClient create no activities, which keeps that work off every proxied request.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsInfrastructurePath(ctx.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource("Platform.*")
                .AddOtlpExporter());
        }

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier));
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"]);
        return builder;
    }

    /// <summary>Adds a readiness check; `/health/ready` runs every check tagged this way.</summary>
    public static IHealthChecksBuilder AddReadinessCheck<T>(this IHealthChecksBuilder builder, string name)
        where T : class, IHealthCheck =>
        builder.AddCheck<T>(name, tags: [ReadyTag]);

    /// <summary>Error handling, `/health/live`, `/health/ready`, `/version` and `/metrics`.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("live"),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag) || c.Tags.Contains("live"),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapGet("/version", (ServiceIdentity id) => TypedResults.Ok(id));
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");
}
