using Microsoft.Extensions.Options;

namespace Platform.Services.Scheduler.Pool;

/// <summary>
/// Initialises the pool, then runs <see cref="PoolRuntime.CycleAsync"/> every
/// <see cref="SchedulerOptions.CycleSeconds"/> on the injected <see cref="TimeProvider"/> (so tests
/// drive it with a fake clock). A failed cycle is logged and the loop carries on.
/// </summary>
public sealed partial class SchedulerLoop(PoolRuntime pool, TimeProvider time, IOptions<SchedulerOptions> options, ILogger<SchedulerLoop> logger)
    : BackgroundService
{
    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The pool is registered before the host serves requests.
        await pool.InitializeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CycleSeconds), time);
        do
        {
            try
            {
                await pool.CycleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCycleFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling cycle failed; retrying next tick")]
    private static partial void LogCycleFailed(ILogger logger, Exception exception);
}
