using Platform.Services.Gateway.Apis;
using StackExchange.Redis;

namespace Platform.Gateway.Tests.Portal;

/// <summary>Tokens in use from the limiter's bucket state (level at a time, refilled at cap per minute).</summary>
public sealed class LimitsArithmeticTests
{
    [Theory]
    [InlineData(600.0, 0L, 0L, 0L)] // full bucket
    [InlineData(100.0, 0L, 0L, 500L)] // 500 drawn just now
    [InlineData(100.0, 0L, 30_000L, 200L)] // half a minute refills 300 of them
    [InlineData(100.0, 0L, 120_000L, 0L)] // refilled past the cap
    [InlineData(-50.0, 0L, 0L, 650L)] // reconciled below zero (a call used more than it reserved)
    public void Tokens_in_use_are_the_cap_minus_the_refilled_level(double level, long at, long now, long expected) =>
        Assert.Equal(expected, MyLimitsApi.TokensInUse([level, at], 600, now));

    [Fact]
    public void No_bucket_yet_means_nothing_in_use() =>
        Assert.Equal(0, MyLimitsApi.TokensInUse([RedisValue.Null, RedisValue.Null], 600, 1000));
}
