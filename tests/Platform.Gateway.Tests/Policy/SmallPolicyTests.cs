using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Policy;

public sealed class SmallPolicyTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(120, "120ms")]
    [InlineData(1000, "1s")]
    [InlineData(7200, "8s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(61_500, "1m2s")]
    public void Durations_are_written_the_way_OpenAI_writes_them(int ms, string expected) =>
        Assert.Equal(expected, RateLimitSnapshot.FormatDuration(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void Retry_after_is_whole_seconds_and_never_zero()
    {
        Assert.Equal("1", RateLimitSnapshot.RetryAfterSeconds(TimeSpan.Zero));
        Assert.Equal("3", RateLimitSnapshot.RetryAfterSeconds(TimeSpan.FromMilliseconds(2001)));
    }

    [Theory]
    [InlineData("""{"fraction":0.2}""", 0.2)]
    [InlineData("""{"fraction":1,"updated_at":"x"}""", 1.0)]
    [InlineData("""{"fraction":1.5}""", null)]
    [InlineData("""{"fraction":-0.1}""", null)]
    [InlineData("""{"share":0.2}""", null)]
    [InlineData("0.2", null)]
    [InlineData("not json", null)]
    [InlineData(null, null)]
    public void The_admission_share_is_read_only_when_well_formed(string? json, double? expected) =>
        Assert.Equal(expected, AdmissionShare.Parse(json));

    [Fact]
    public void Consumer_slots_round_down() => Assert.Equal(12, AdmissionShare.ConsumerSlots(0.2, 64));

    [Fact]
    public void Key_limits_never_exceed_the_plan()
    {
        var plan = new PlanLimits("pro", 600, 600_000, 32, 32, 1800);
        Assert.Equal(new KeyLimits(60, 600_000, 32), KeyLimits.Narrow(plan, 60, null, 1000));
    }
}
