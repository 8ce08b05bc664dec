namespace Platform.Scheduling.Admission;

/// <summary>
/// Forecasts a demand signal sampled at a fixed interval (offered KV-token load, arrival rate):
/// Holt's linear smoothing for the trend, floored by the recent peak so that a bursty signal is
/// provisioned for its bursts rather than its mean. With <paramref name="smoothing"/> above 1 each
/// sample is first averaged with the ones before it, so the peak held is that of the sustained load:
/// right for traffic whose bursts are absorbed by admission control (consumers behind the gateway's
/// share and fair queue), wrong for traffic that must be served as it comes (enterprise).
/// </summary>
public sealed class DemandForecaster(double alpha = 0.5, double beta = 0.3, int peakWindow = 12, int smoothing = 1)
{
    private readonly Queue<double> _recent = new();
    private readonly Queue<double> _raw = new();
    private double _level;
    private double _trend;
    private bool _started;

    /// <summary>Adds the latest sample.</summary>
    public void Observe(double sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(smoothing);
        _raw.Enqueue(sample);
        while (_raw.Count > smoothing)
        {
            _raw.Dequeue();
        }
        var value = _raw.Average();
        if (!_started)
        {
            (_level, _trend, _started) = (value, 0, true);
        }
        else
        {
            var previous = _level;
            _level = alpha * value + (1 - alpha) * (_level + _trend);
            _trend = beta * (_level - previous) + (1 - beta) * _trend;
        }
        _recent.Enqueue(value);
        while (_recent.Count > peakWindow)
        {
            _recent.Dequeue();
        }
    }

    /// <summary>Expected demand <paramref name="stepsAhead"/> samples from now (never below the recent peak).</summary>
    public double Forecast(int stepsAhead)
    {
        if (!_started)
        {
            return 0;
        }
        var trended = _level + Math.Max(0, _trend) * stepsAhead;
        return Math.Max(0, Math.Max(trended, _recent.Max()));
    }
}
