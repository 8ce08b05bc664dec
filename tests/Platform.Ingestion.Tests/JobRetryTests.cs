using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Platform.Data;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Parsing;
using Platform.Ingestion.Pipeline;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Tests;

/// <summary>
/// The queue's retry backoff and dead-lettering, driven by a fake clock. Claiming is cross-tenant, so
/// these tests get a database of their own (no other test's jobs to claim) and a host with no workers.
/// </summary>
[Collection(QueueCollection.Name)]
public sealed class JobRetryTests(StoresFixture stores)
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_job_that_keeps_failing_is_retried_after_doubling_delays_then_dead_lettered_with_its_reason()
    {
        await using var factory = NewFactory();
        var clock = NewClock();
        var queue = new JobQueue(factory.Services.GetRequiredService<NpgsqlDataSource>(), clock);
        var processor = NewProcessor(factory.Services, queue, clock);
        var (tenant, kb, doc) = await AddDocumentAsync(factory.Services, maxAttempts: 4);

        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var job = await queue.ClaimAsync("worker", Lease, default);
            Assert.NotNull(job);
            Assert.Equal((doc, attempt), (job.DocumentId, job.Attempt));
            var failedAt = clock.GetUtcNow();
            await processor.ProcessAsync(job, default); // the knowledge base's model is missing: a transient error
            var row = await JobRowAsync(job.Id);
            if (attempt == 4)
            {
                Assert.Equal("dead", row.Status);
                Assert.Contains("not available", row.LastError);
                break;
            }
            Assert.Equal("queued", row.Status);
            var delay = row.RunAfter - failedAt;
            Assert.Equal(BaseDelay * (1 << (attempt - 1)), delay); // RetryBaseDelay × 2^(n-1)
            Assert.Equal(processor.RetryDelay(attempt), delay);
            delays.Add(delay);
            var document = await DocumentAsync(factory.Services, tenant, kb, doc);
            Assert.Equal(DocumentStatus.Queued, document.Status);
            Assert.StartsWith($"Attempt {attempt} failed", document.FailureReason);

            clock.Advance(delay - TimeSpan.FromSeconds(1));
            Assert.Null(await queue.ClaimAsync("worker", Lease, default)); // not due yet
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(new[] { BaseDelay, BaseDelay * 2, BaseDelay * 4 }, delays);
        var failed = await DocumentAsync(factory.Services, tenant, kb, doc);
        Assert.Equal(DocumentStatus.Failed, failed.Status);
        Assert.StartsWith("Ingestion failed after 4 attempt(s):", failed.FailureReason);
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(await queue.ClaimAsync("worker", Lease, default));
    }

    [Fact]
    public void The_backoff_doubles_from_the_base_delay_and_is_capped_at_an_hour()
    {
        var processor = new IngestionProcessor(null!, null!, null!, null!, null!, null!, null!,
            new IngestionOptions { RetryBaseDelay = TimeSpan.FromSeconds(5) }, TimeProvider.System, NullLogger<IngestionProcessor>.Instance);
        Assert.Equal(new[] { 5.0, 10, 20, 40, 80 }, Enumerable.Range(1, 5).Select(n => processor.RetryDelay(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromHours(1), processor.RetryDelay(12));
        Assert.Equal(TimeSpan.FromHours(1), processor.RetryDelay(100));
    }

    [Fact]
    public async Task A_job_whose_worker_keeps_dying_is_dead_lettered_with_a_reason_once_its_last_lease_lapses()
    {
        await using var factory = NewFactory();
        var clock = NewClock();
        var dataSource = factory.Services.GetRequiredService<NpgsqlDataSource>();
        var queue = new JobQueue(dataSource, clock);
        var (tenant, kb, doc) = await AddDocumentAsync(factory.Services, maxAttempts: 2);

        var first = await queue.ClaimAsync("worker-1", Lease, default); // then worker-1 dies: no renew, no completion
        Assert.NotNull(first);
        Assert.Empty(await queue.DeadLetterAbandonedAsync(default));
        clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var second = await queue.ClaimAsync("worker-2", Lease, default); // the lapsed lease is taken over
        Assert.NotNull(second);
        Assert.Equal((first.Id, 2), (second.Id, second.Attempt));
        Assert.Empty(await queue.DeadLetterAbandonedAsync(default)); // worker-2 still holds a live lease
        clock.Advance(Lease + TimeSpan.FromSeconds(1)); // worker-2 died too

        Assert.Null(await queue.ClaimAsync("worker-3", Lease, default)); // out of attempts: not claimed a third time
        var abandoned = Assert.Single(await queue.DeadLetterAbandonedAsync(default));
        Assert.Equal(new AbandonedJob(first.Id, tenant, kb, doc, 2), abandoned);
        Assert.Empty(await queue.DeadLetterAbandonedAsync(default));

        var row = await JobRowAsync(first.Id);
        Assert.Equal("dead", row.Status);
        Assert.Equal("The worker processing this document stopped 2 times; giving up.", row.LastError);
        Assert.Null(row.LockedBy);
        var document = await DocumentAsync(factory.Services, tenant, kb, doc);
        Assert.Equal((DocumentStatus.Failed, row.LastError), (document.Status, document.FailureReason));
        Assert.False(await queue.RenewAsync(second, Lease, default)); // a late worker cannot revive it
        await using var scope = await TenantScope.BeginAsync(dataSource, tenant);
        Assert.False(await JobQueue.CompleteAsync(scope, second, "succeeded", null, default));
    }

    private IngestionFactory NewFactory() => new(stores, new()
    {
        ["Ingestion:Workers"] = "0",
        ["Ingestion:RetryBaseDelay"] = BaseDelay.ToString(),
        ["Ingestion:MaxAttempts"] = "4",
    });

    // Whole seconds, later than the database's now(): the jobs' default run_after is already due.
    private static FakeTimeProvider NewClock() =>
        new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60));

    private static IngestionProcessor NewProcessor(IServiceProvider services, JobQueue queue, TimeProvider clock) => new(
        services.GetRequiredService<NpgsqlDataSource>(), queue, services.GetRequiredService<DocumentFiles>(),
        services.GetRequiredService<DocumentParsers>(), services.GetRequiredService<EmbeddingModelCatalog>(),
        services.GetRequiredService<ChunkWriter>(), services.GetRequiredService<IngestionEvents>(),
        services.GetRequiredService<IngestionOptions>(), clock, NullLogger<IngestionProcessor>.Instance);

    /// <summary>A queued document in a knowledge base built with a model this server does not have, so every attempt fails transiently.</summary>
    private static async Task<(Guid Tenant, Guid Kb, Guid Doc)> AddDocumentAsync(IServiceProvider services, int maxAttempts)
    {
        var tenant = Guid.NewGuid();
        var kb = await services.GetRequiredService<KnowledgeBaseStore>().CreateAsync(tenant, "retries", null, "model-not-installed", 384, 64, 8, default);
        Assert.NotNull(kb);
        var content = TestDocuments.Utf8("Text that never gets embedded.");
        var added = await services.GetRequiredService<DocumentStore>().AddAsync(tenant, kb.Id, Guid.CreateVersion7(), "never.txt", "text/plain",
            content.Length, Convert.ToHexStringLower(SHA256.HashData(content)), maxAttempts, DocumentMetadata.None, default);
        Assert.True(added is { Created: true });
        return (tenant, kb.Id, added.Document.Id);
    }

    private static async Task<DocumentRecord> DocumentAsync(IServiceProvider services, Guid tenant, Guid kb, Guid doc) =>
        await services.GetRequiredService<DocumentStore>().GetAsync(tenant, kb, doc, default) ?? throw new InvalidOperationException("document missing");

    private async Task<(string Status, DateTimeOffset RunAfter, string? LastError, string? LockedBy)> JobRowAsync(Guid jobId)
    {
        await using var dataSource = stores.Postgres.CreateDataSource();
        await using var cmd = dataSource.CreateCommand("SELECT status, run_after, last_error, locked_by FROM ingestion.jobs WHERE id = @id");
        cmd.Parameters.AddWithValue("id", jobId);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3));
    }
}

/// <summary>A PostgreSQL and Redis of their own (xUnit makes one fixture instance per collection).</summary>
[CollectionDefinition(Name)]
public sealed class QueueCollection : ICollectionFixture<StoresFixture>
{
    public const string Name = "queue";
}
