using Platform.Inference.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>
/// Trains a <see cref="LoraDelta"/> on a frozen <see cref="LlamaForCausalLM"/> (the same model code
/// serving uses): AdamW, linear warm-up + cosine decay, gradient accumulation over the batch,
/// global-norm clipping, loss on trainable (assistant) tokens only. Everything random derives from
/// the seed and the step number, so a run resumed from a checkpoint continues exactly as an
/// uninterrupted one. Steps are synchronous; the caller drives the loop (and may await between steps).
/// </summary>
public sealed class LoraTrainer : IDisposable
{
    private readonly LlamaForCausalLM _model;
    private readonly LoraDelta _delta;
    private readonly IReadOnlyList<TrainingExample> _train;
    private readonly IReadOnlyList<TrainingExample> _validation;
    private readonly LearningRateSchedule _schedule;
    private int[] _order = [];
    private int _orderEpoch = -1;

    /// <summary>Attaches <paramref name="delta"/> to <paramref name="model"/> and prepares the optimizer.</summary>
    public LoraTrainer(LlamaForCausalLM model, LoraDelta delta, TrainingSettings settings,
        IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation = null)
    {
        if (train.Count == 0)
        {
            throw new ArgumentException("there are no training examples", nameof(train));
        }
        if (settings.Epochs < 1 || settings.BatchSize < 1 || !(settings.LearningRate > 0))
        {
            throw new ArgumentException("epochs, batch size and learning rate must be positive", nameof(settings));
        }
        _model = model;
        _delta = delta;
        _train = train;
        _validation = (validation ?? []).Take(settings.MaxValidationExamples).ToList();
        Settings = settings;
        StepsPerEpoch = (train.Count + settings.BatchSize - 1) / settings.BatchSize;
        TotalSteps = StepsPerEpoch * settings.Epochs;
        _schedule = new LearningRateSchedule(settings.LearningRate, (int)Math.Round(TotalSteps * settings.WarmupRatio), TotalSteps);
        Optimizer = new AdamW(delta.Parameters, weightDecay: settings.WeightDecay);
        model.SetLowRankDelta(delta);
        model.SetTokenDelta(delta.Tokens);
    }

    /// <summary>The run's settings.</summary>
    public TrainingSettings Settings { get; }

    /// <summary>Optimizer steps in one epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Optimizer steps in the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Steps done (restored by <see cref="TrainingCheckpoint.Load"/>): the data position.</summary>
    public int CompletedSteps { get; internal set; }

    /// <summary>The optimizer (its state goes into checkpoints).</summary>
    public AdamW Optimizer { get; }

    /// <summary>The adapter being trained.</summary>
    public LoraDelta Delta => _delta;

    /// <summary>Whether every step has run.</summary>
    public bool IsComplete => CompletedSteps >= TotalSteps;

    /// <summary>Whether validation is due after step <paramref name="step"/>.</summary>
    public bool IsEvalStep(int step) => _validation.Count > 0 &&
        (step == TotalSteps || (Settings.EvalEvery > 0 && step % Settings.EvalEvery == 0));

    /// <summary>Whether a checkpoint is due after step <paramref name="step"/> (never after the last: the final adapter is saved instead).</summary>
    public bool IsCheckpointStep(int step) => Settings.CheckpointEvery > 0 && step % Settings.CheckpointEvery == 0 && step < TotalSteps;

    /// <summary>Runs the next optimizer step (and validation when due).</summary>
    public StepMetrics TrainStep()
    {
        if (IsComplete)
        {
            throw new InvalidOperationException("training is complete");
        }
        var step = CompletedSteps;
        var batch = BatchOf(step);
        var trainable = batch.Sum(e => (long)Math.Max(0, e.Trainable.Skip(1).Count(t => t)));
        double loss = 0;
        long tokens = 0;
        _delta.Training = true;
        Optimizer.ZeroGrad();
        for (var i = 0; i < batch.Count; i++)
        {
            using var scope = NewDisposeScope();
            _delta.SeedDropout(unchecked(Settings.Seed * 1_000_003 + step * 1_009L + i));
            var sum = ExampleLoss(batch[i]);
            var scaled = sum.DividedBy(Math.Max(1, trainable));
            scaled.backward();
            loss += scaled.item<float>();
            tokens += batch[i].InputIds.Length;
        }
        _delta.Training = false;
        var norm = ClipGradients();
        var rate = _schedule.At(step);
        Optimizer.Step(rate);
        CompletedSteps = step + 1;
        var valid = IsEvalStep(CompletedSteps) ? ValidationLoss() : null;
        return new StepMetrics(CompletedSteps, TotalSteps, loss, valid, rate, norm, tokens, (double)CompletedSteps / StepsPerEpoch);
    }

    /// <summary>Token-weighted mean loss over the validation examples; null without any.</summary>
    public double? ValidationLoss()
    {
        if (_validation.Count == 0)
        {
            return null;
        }
        using var noGrad = no_grad();
        double total = 0;
        long count = 0;
        foreach (var example in _validation)
        {
            using var scope = NewDisposeScope();
            total += ExampleLoss(example).item<float>();
            count += example.Trainable.Skip(1).Count(t => t);
        }
        return total / Math.Max(1, count);
    }

    /// <summary>Runs the remaining steps, reporting each.</summary>
    public StepMetrics? RunToEnd(Action<StepMetrics>? onStep = null, CancellationToken cancellationToken = default)
    {
        StepMetrics? last = null;
        while (!IsComplete)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = TrainStep();
            onStep?.Invoke(last);
        }
        return last;
    }

    /// <summary>Summed cross-entropy of the trainable next-token predictions of one example.</summary>
    private Tensor ExampleLoss(TrainingExample example)
    {
        var ids = example.InputIds;
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length], ScalarType.Int64);
        var targets = new long[ids.Length - 1];
        for (var t = 0; t < targets.Length; t++)
        {
            targets[t] = example.Trainable[t + 1] ? ids[t + 1] : -100;
        }
        var logits = _model.forward(input).squeeze(0).narrow(0, 0, ids.Length - 1);
        return nn.functional.cross_entropy(logits, tensor(targets).to(_model.Device), ignore_index: -100,
            reduction: nn.Reduction.Sum);
    }

    private double ClipGradients()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var grads = Optimizer.Parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
        {
            return 0;
        }
        var norm = Math.Sqrt(grads.Sum(g => (g * g).sum().item<float>()));
        if (Settings.MaxGradNorm > 0 && norm > Settings.MaxGradNorm)
        {
            var factor = Settings.MaxGradNorm / (norm + 1e-6);
            foreach (var g in grads)
            {
                g.TimesInPlace(factor);
            }
        }
        return norm;
    }

    private List<TrainingExample> BatchOf(int step)
    {
        var epoch = step / StepsPerEpoch;
        if (epoch != _orderEpoch)
        {
            _order = [.. Enumerable.Range(0, _train.Count)];
            new Random(unchecked((int)(Settings.Seed * 7919 + epoch))).Shuffle(_order);
            _orderEpoch = epoch;
        }
        var start = step % StepsPerEpoch * Settings.BatchSize;
        return _order.Skip(start).Take(Settings.BatchSize).Select(i => _train[i]).ToList();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _model.SetLowRankDelta(null);
        _model.SetTokenDelta(null);
        Optimizer.Dispose();
    }
}
