namespace Platform.Inference.Training;

/// <summary>Optimisation settings for one training run.</summary>
public sealed record TrainingSettings
{
    /// <summary>Passes over the training examples.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Examples per optimizer step (gradients are accumulated one example at a time).</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Peak learning rate (after warm-up).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Fraction of all steps spent warming up linearly.</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>Gradients are scaled down when their global L2 norm exceeds this (0 disables clipping).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Seeds the adapter initialisation, the data order and dropout.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Validation loss every this many steps (and after the last); 0 for the last step only.</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>A checkpoint every this many steps; 0 for none.</summary>
    public int CheckpointEvery { get; init; } = 10;

    /// <summary>At most this many validation examples are scored (the first ones).</summary>
    public int MaxValidationExamples { get; init; } = 256;
}

/// <summary>What one optimizer step did.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="TotalSteps">Steps in the whole run.</param>
/// <param name="TrainLoss">Mean cross-entropy over the step's trainable tokens.</param>
/// <param name="ValidLoss">Validation loss after this step, when it was evaluated.</param>
/// <param name="LearningRate">The rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="Tokens">Tokens fed through the model in this step.</param>
/// <param name="Epoch">Fractional epoch reached.</param>
public sealed record StepMetrics(int Step, int TotalSteps, double TrainLoss, double? ValidLoss, double LearningRate,
    double GradNorm, long Tokens, double Epoch);
