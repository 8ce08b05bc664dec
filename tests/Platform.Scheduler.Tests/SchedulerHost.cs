using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Scheduler.Pool;
using Platform.TestKit;

namespace Platform.Scheduler.Tests;

/// <summary>Real PostgreSQL and Redis for the whole test class.</summary>
public sealed class Stores : IAsyncLifetime
{
    public PostgresFixture Postgres { get; } = new();

    public RedisFixture Redis { get; } = new();

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        await Redis.InitializeAsync();
    }

    /// <summary>Empties the scheduler schema (if it exists yet) so each test starts from a bare pool.</summary>
    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "DO $$ BEGIN IF to_regclass('scheduler.nodes') IS NOT NULL THEN TRUNCATE scheduler.nodes, scheduler.devices, scheduler.placements; END IF; END $$",
            connection);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

/// <summary>The Scheduler in process on a fake clock; this host's "CPU device" is 8 GiB and GPU detection is off.</summary>
public sealed class SchedulerHost(
    Stores stores, FakeTimeProvider clock, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public static readonly Guid Acme = Guid.Parse("00000000-0000-0000-0000-00000000ac3e");
    public static readonly Guid Consumers = Guid.Parse("00000000-0000-0000-0000-0000000c0a50");

    public FakeTimeProvider Clock { get; } = clock;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", stores.Postgres.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", stores.Redis.ConnectionString);
        builder.UseSetting("Platform:InternalSecret", SignedCaller.TestSecret);
        builder.UseSetting("Scheduler:NodeId", "scheduler-host");
        builder.UseSetting("Scheduler:LocalMemoryBytes", (8L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Scheduler:DetectGpus", "false");
        builder.UseSetting("Scheduler:HeartbeatIntervalSeconds", "10");
        builder.UseSetting("Scheduler:MissedHeartbeats", "3");
        builder.UseSetting("Scheduler:CycleSeconds", "5");
        builder.UseSetting("Scheduler:ConsumerTenantId", Consumers.ToString());
        builder.UseSetting("Scheduler:ConsumerReplicaBytes", (40L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Scheduler:Quotas:0:TenantId", Acme.ToString());
        builder.UseSetting("Scheduler:Quotas:0:GuaranteedGib", "160");
        builder.UseSetting("Scheduler:Quotas:1:TenantId", Consumers.ToString());
        builder.UseSetting("Scheduler:Quotas:1:GuaranteedGib", "80");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            services?.Invoke(s);
        });
    }

    public PoolRuntime Pool => Services.GetRequiredService<PoolRuntime>();

    /// <summary>A client signed like the gateway, as an internal worker (no admin scope).</summary>
    public HttpClient Worker() => CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(Acme, "inference")));

    /// <summary>A client with the admin scope.</summary>
    public HttpClient Admin() => CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(Acme, "admin")));

    public static CallerIdentity Caller(params string[] scopes) => SignedCaller.Tenant(Acme, scopes);
}
