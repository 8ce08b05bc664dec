extern alias portal;

using portal::Platform.Portal.Components.Shared;
using portal::Platform.Portal.Gateway;

namespace Platform.Portal.Tests;

/// <summary>Pure unit tests of what the pages make of the services' text.</summary>
public sealed class AnswerRenderingTests
{
    [Fact]
    public void Markers_of_given_sources_become_footnotes_and_other_brackets_stay_text()
    {
        var segments = AnswerSegments.Split("Etna erupts [1]. Stromboli too [1, 2]; see [7] and [x].", new HashSet<int> { 1, 2 });
        Assert.Equal(["Etna erupts ", "[1]", ". Stromboli too ", "[1, 2]", "; see [7] and [x]."], segments.Select(s => s.Text));
        Assert.Equal([[], [1], [], [1, 2], []], segments.Select(s => s.Markers.ToArray()));
    }

    [Fact]
    public void An_answer_without_markers_is_one_text_segment()
    {
        var segment = Assert.Single(AnswerSegments.Split("No citations here.", new HashSet<int> { 1 }));
        Assert.False(segment.IsMarker);
    }

    [Fact]
    public void A_dataset_refusal_splits_into_its_lead_and_one_entry_per_line()
    {
        var (summary, lines) = DatasetProblems.Parse(
            "The file is not a valid fine-tuning dataset for stories260K-hf: 3 invalid line(s): line 2: invalid JSON; x; line 5: no assistant turn with weight 1; …." );
        Assert.Equal("The file is not a valid fine-tuning dataset for stories260K-hf: 3 invalid line(s)", summary);
        Assert.Equal(["line 2: invalid JSON; x", "line 5: no assistant turn with weight 1"], lines);
    }

    [Fact]
    public void A_refusal_without_lines_is_kept_whole()
    {
        var (summary, lines) = DatasetProblems.Parse("The file must be 1 to 100 bytes.");
        Assert.Equal("The file must be 1 to 100 bytes.", summary);
        Assert.Empty(lines);
    }

    [Fact]
    public void Trainable_token_ids_are_read_from_a_comma_separated_list_and_bad_lists_are_explained()
    {
        Assert.Equal([508, 509, 475, 410, 2], TokenIdList.Parse(" 508, 509,475 , 410, 2 ").Ids);
        Assert.Empty(TokenIdList.Parse("  ").Ids!);
        Assert.Equal("'x' is not a token id (a whole number from 0).", TokenIdList.Parse("508, x").Error);
        Assert.Equal("'-1' is not a token id (a whole number from 0).", TokenIdList.Parse("-1").Error);
        Assert.Equal("508 is listed twice.", TokenIdList.Parse("508, 509, 508").Error);
        Assert.Equal("An empty entry: separate token ids with single commas.", TokenIdList.Parse("508,, 509").Error);
        Assert.Equal("At most 64 token ids, not 65.", TokenIdList.Parse(string.Join(",", Enumerable.Range(0, 65))).Error);
        Assert.Equal(64, TokenIdList.Parse(string.Join(",", Enumerable.Range(0, 64))).Ids!.Count);
    }

    [Fact]
    public void Metrics_events_become_loss_points_and_other_events_do_not()
    {
        var metrics = new FineTuneEventView("ftevent-2", 0, "info", "Step 3/8", "metrics",
            System.Text.Json.JsonDocument.Parse("""{"step":3,"total_steps":8,"train_loss":1.25,"valid_loss":null}""").RootElement);
        Assert.Equal(new LossPoint(3, 8, 1.25, null), LossPoint.From(metrics));
        Assert.Null(LossPoint.From(metrics with { Type = "message" }));
    }
}
