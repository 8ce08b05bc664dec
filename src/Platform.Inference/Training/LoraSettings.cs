namespace Platform.Inference.Training;

/// <summary>
/// The shape of a LoRA adapter (PEFT's LoraConfig): rank, alpha (the update is scaled by alpha / r),
/// dropout on the adapter's input while training, and the projection names it adapts.
/// </summary>
public sealed record LoraSettings
{
    /// <summary>Attention and MLP projections of a Llama-family layer, the default targets.</summary>
    public static readonly IReadOnlyList<string> AllProjections =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Rank r (1–256).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>lora_alpha; the update is scaled by Alpha / Rank.</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>Dropout probability on the adapter input during training, in [0, 1).</summary>
    public double Dropout { get; init; }

    /// <summary>Projection names (last key segment, e.g. "q_proj") that get an adapter.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllProjections;

    /// <summary>
    /// Token ids whose embedding rows the adapter trains and replaces (PEFT's
    /// <c>trainable_token_indices</c>; with a tied head also their output rows); empty for none.
    /// </summary>
    public IReadOnlyList<int> TrainableTokenIndices { get; init; } = [];

    /// <summary>The multiplier applied to B·A.</summary>
    public double Scaling => Alpha / Rank;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Rank is < 1 or > 256)
        {
            throw new ArgumentException("lora_r must be between 1 and 256", nameof(Rank));
        }
        if (!(Alpha > 0 && Alpha <= 4096))
        {
            throw new ArgumentException("lora_alpha must be in (0, 4096]", nameof(Alpha));
        }
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException("lora_dropout must be in [0, 1)", nameof(Dropout));
        }
        if (TargetModules.Count == 0 || TargetModules.Any(m => !AllProjections.Contains(m)))
        {
            throw new ArgumentException(
                $"target_modules must be a non-empty subset of {string.Join(", ", AllProjections)}", nameof(TargetModules));
        }
        if (TrainableTokenIndices.Any(i => i < 0) || TrainableTokenIndices.Distinct().Count() != TrainableTokenIndices.Count)
        {
            throw new ArgumentException("trainable_token_indices must be distinct non-negative token ids", nameof(TrainableTokenIndices));
        }
    }
}
