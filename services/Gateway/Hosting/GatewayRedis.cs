using Platform.ServiceDefaults;
using Platform.Services.Gateway.Throttling;
using StackExchange.Redis;

namespace Platform.Services.Gateway.Hosting;

public static class GatewayRedis
{
    /// <summary>
    /// The gateway's Redis connection. Unlike <c>AddPlatformRedis</c> it fails fast while Redis is
    /// down (no command backlog, 1 s timeouts: a request must not hang on the limiter) and reports
    /// "Degraded", not "Unhealthy", because the gateway keeps serving enterprise traffic without it.
    /// </summary>
    public static WebApplicationBuilder AddGatewayRedis(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Redis")
            ?? throw new InvalidOperationException(
                "No Redis configured: set ConnectionStrings__Redis or REDIS_URL (./platform up does this for you).");
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ClientName = builder.Environment.ApplicationName;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2_000;
        options.AsyncTimeout = 1_000;
        options.SyncTimeout = 1_000;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddSingleton<ThrottleHealth>();
        builder.Services.AddHealthChecks().AddReadinessCheck<ThrottleHealth>("redis");
        return builder;
    }
}
