using Platform.Scheduling.Admission;
using Platform.Scheduling.Autoscaling;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using static Platform.Scheduling.Tests.TestPool;

namespace Platform.Scheduling.Tests;

public sealed class AdmissionAndAutoscalingTests
{
    [Fact]
    public void ConsumerShareShrinksAheadOfForecastEnterpriseDemand()
    {
        var pool = Pool("1x8xA100-80GB");
        var quotas = QuotaTable.Create(
            [new TenantQuota("acme", 320L * Gib, null), new TenantQuota("consumers", 160L * Gib, null)], pool.CapacityBytes);
        var state = new PoolState(pool);
        state.Bind(Job("acme-r0", "acme", PriorityClass.EnterpriseGuaranteed, 80, kind: WorkloadKind.InferenceReplica), ["node-00/gpu0"], Now);
        long replica = 80L * Gib, tokens = 100_000;

        var calm = ConsumerAdmission.Compute(state, quotas, "consumers", new Dictionary<string, long> { ["acme"] = replica },
            replica, tokens, readyConsumerTokens: 7 * tokens, forecastConsumerTokens: 7 * tokens);
        Assert.Equal(7, calm.ConsumerReplicas);
        Assert.Equal(1.0, calm.Fraction);

        // acme is forecast to need four replicas within the horizon: the share drops now, before they are placed.
        var ahead = ConsumerAdmission.Compute(state, quotas, "consumers", new Dictionary<string, long> { ["acme"] = 4 * replica },
            replica, tokens, readyConsumerTokens: 7 * tokens, forecastConsumerTokens: 7 * tokens);
        Assert.Equal(4, ahead.ConsumerReplicas);
        Assert.Equal(3 * replica, ahead.ReservedForEnterpriseBytes);
        Assert.Equal(4 * tokens, ahead.AdmissibleTokens);
        Assert.InRange(ahead.Fraction, 0.57, 0.58);

        // However large the forecast, the consumer tenant keeps its guarantee.
        var squeezed = ConsumerAdmission.Compute(state, quotas, "consumers", new Dictionary<string, long> { ["acme"] = 8 * replica },
            replica, tokens, 7 * tokens, 7 * tokens);
        Assert.Equal(2, squeezed.ConsumerReplicas);
    }

    [Fact]
    public void AutoscalerScalesOutAtOnceAndInOnlyAfterTheStabilisationWindow()
    {
        var scaler = new ReplicaAutoscaler(new AutoscalerSettings(1, 10, 0.5, TimeSpan.FromMinutes(5)));
        Assert.Equal(4, scaler.Recommend(new ReplicaSignals(1, 200_000, 100_000, 0, 0.5, 1), Now));
        Assert.Equal(4, scaler.Recommend(new ReplicaSignals(4, 10_000, 100_000, 0, 0.5, 1), Now.AddMinutes(1)));
        Assert.Equal(1, scaler.Recommend(new ReplicaSignals(4, 10_000, 100_000, 0, 0.5, 1), Now.AddMinutes(7)));
        // Queue with latency over the SLO adds a replica, unless one is still starting.
        Assert.Equal(2, scaler.Recommend(new ReplicaSignals(1, 10_000, 100_000, 5, 1.5, 1), Now.AddMinutes(8)));
        Assert.Equal(1, scaler.Recommend(new ReplicaSignals(1, 10_000, 100_000, 5, 1.5, 1, NotReadyReplicas: 1), Now.AddMinutes(20)));
    }

    [Fact]
    public void ForecastHoldsTheRecentPeakAndFollowsATrend()
    {
        var forecaster = new DemandForecaster(peakWindow: 3);
        foreach (var v in new double[] { 10, 50, 10, 10 })
        {
            forecaster.Observe(v);
        }
        Assert.Equal(50, forecaster.Forecast(1));
        var rising = new DemandForecaster(peakWindow: 1);
        foreach (var v in new double[] { 10, 20, 30, 40 })
        {
            rising.Observe(v);
        }
        Assert.True(rising.Forecast(5) > 40);
    }

    [Fact]
    public void SmoothingHoldsThePeakOfSustainedLoadNotOfASingleSpike()
    {
        var raw = new DemandForecaster(peakWindow: 12);
        var smoothed = new DemandForecaster(peakWindow: 12, smoothing: 4);
        foreach (var v in new double[] { 10, 10, 10, 90, 10, 10, 10, 10 })
        {
            raw.Observe(v);
            smoothed.Observe(v);
        }
        Assert.Equal(90, raw.Forecast(1));
        Assert.Equal(30, smoothed.Forecast(1), 6); // (10 + 10 + 10 + 90) / 4
        // A sustained rise is followed in full.
        foreach (var v in new double[] { 50, 50, 50, 50 })
        {
            smoothed.Observe(v);
        }
        Assert.True(smoothed.Forecast(1) >= 50);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DemandForecaster(smoothing: 0).Observe(1));
    }
}
