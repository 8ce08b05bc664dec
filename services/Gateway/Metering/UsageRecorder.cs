using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Data;


namespace Platform.Services.Gateway.Metering;

/// <summary>
/// Collects usage records and writes them in batches (up to <see cref="BatchSize"/> or every
/// <see cref="GatewayOptions.UsageFlushMilliseconds"/>). A failed batch is retried as it was (inserts are idempotent on
/// request_id, so a retry never counts twice); on graceful shutdown everything queued is flushed.
/// </summary>
public sealed class UsageRecorder(UsageStore store, IOptions<GatewayOptions> options, ILogger<UsageRecorder> logger) : BackgroundService
{
    public const int BatchSize = 500;

    private readonly Channel<UsageRecord> _queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(100_000)
    {
        SingleReader = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly List<UsageRecord> _pending = [];
    private readonly SemaphoreSlim _flushing = new(1, 1);

    /// <summary>Queues a record; waits only when 100,000 are already waiting for the database.</summary>
    public ValueTask RecordAsync(UsageRecord record) => _queue.Writer.WriteAsync(record);

    /// <summary>Writes everything queued so far (tests and shutdown). Records of a failed write stay pending for the next flush.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _flushing.WaitAsync(ct);
        try
        {
            while (true)
            {
                // Off the socket thread an inline-completed database reply may have left us on (InlineIoScheduling).
                await Task.Yield();
                while (_pending.Count < BatchSize && _queue.Reader.TryRead(out var record))
                {
                    _pending.Add(record);
                }
                if (_pending.Count == 0)
                {
                    return;
                }
                foreach (var tenant in _pending.GroupBy(r => r.TenantId).ToList())
                {
                    await store.InsertAsync(tenant.Key, tenant.ToList(), ct);
                    _pending.RemoveAll(r => r.TenantId == tenant.Key);
                }
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(failures == 0 ? TimeSpan.FromMilliseconds(options.Value.UsageFlushMilliseconds) : TimeSpan.FromSeconds(Math.Min(30, failures)), stoppingToken);
                await FlushAsync(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                failures++;
                logger.LogWarning(e, "Writing {Count} usage records failed ({Failures} in a row); they stay queued", _pending.Count, failures);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out: say what is lost rather than fail the shutdown.
            logger.LogError("Shutdown timed out while writing usage; {Count} usage records were not written", _pending.Count + _queue.Reader.Count);
        }
    }
}
