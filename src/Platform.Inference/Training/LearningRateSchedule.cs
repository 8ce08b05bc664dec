namespace Platform.Inference.Training;

/// <summary>Linear warm-up from 0 to the peak, then cosine decay to <see cref="MinimumRatio"/> of it (HF's cosine schedule with a floor).</summary>
public sealed record LearningRateSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, double MinimumRatio = 0.0)
{
    /// <summary>The rate for 0-based optimizer step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (step < WarmupSteps)
        {
            return PeakLearningRate * (step + 1) / WarmupSteps;
        }
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        var cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return PeakLearningRate * (MinimumRatio + (1 - MinimumRatio) * cosine);
    }
}
