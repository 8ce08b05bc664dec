extern alias portal;

using portal::Platform.Portal.Components.Shared;
using portal::Platform.Portal.Gateway;

namespace Platform.Portal.Tests;

/// <summary>Pure unit tests of what the pages make of live figures: ingestion events and limit bars.</summary>
public sealed class LiveViewTests
{
    private static readonly DocumentView Queued = new(Guid.NewGuid(), Guid.NewGuid(), "a.md", 10, "queued", "an earlier failure", 0, 0);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static IngestionEventView Event(string status, string stage, int? done = null, int? total = null, string? reason = null) =>
        new("document.status", Queued.KnowledgeBaseId, Queued.Id, status, stage, done, total, reason);

    [Fact]
    public void A_progress_event_moves_the_row_to_processing_and_clears_an_old_reason()
    {
        var e = Event("processing", "embedding", 3, 12);
        var row = DocumentEvents.Apply(Queued, e, Now);
        Assert.Equal("processing", row.Status);
        Assert.Null(row.FailureReason);
        Assert.Equal(0, row.ChunkCount);
        Assert.Equal(Now.ToUnixTimeSeconds(), row.UpdatedAt);
        Assert.True(row.InFlight);
        Assert.Equal(25, e.Percent);
    }

    [Fact]
    public void Ready_sets_the_chunk_count_and_failed_the_reason()
    {
        Assert.Equal(12, DocumentEvents.Apply(Queued, Event("ready", "done", 12, 12), Now).ChunkCount);
        var failed = DocumentEvents.Apply(Queued, Event("failed", "failed", reason: "Not UTF-8."), Now);
        Assert.Equal("Not UTF-8.", failed.FailureReason);
        Assert.False(failed.InFlight);
        Assert.Null(Event("processing", "parsing").Percent);
        Assert.True(IngestionEventView.Ready.IsReady);
    }

    [Theory]
    [InlineData(0L, 60L, 0.0)]
    [InlineData(30L, 60L, 50.0)]
    [InlineData(90L, 60L, 100.0)] // a bucket reconciled past its cap still draws a full bar
    public void A_limit_bar_is_the_share_in_use(long inUse, long limit, double percent) =>
        Assert.Equal(percent, new LimitInUseView("requests_per_minute", limit, inUse).Percent);
}
