using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Inference;

/// <summary>The "Inference" configuration section.</summary>
public sealed class InferenceOptions
{
    /// <summary>Explicit models, name → Hugging Face checkpoint folder (besides the subfolders of Platform:ModelsDir).</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Explicit embedding models, name → sentence-transformers BERT folder (besides the encoder folders of Platform:ModelsDir).</summary>
    public Dictionary<string, string> EmbeddingModels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Explicit adapters, name → PEFT adapter folder (besides the subfolders of <see cref="AdaptersDir"/>).</summary>
    public Dictionary<string, string> Adapters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Folder whose subfolders are PEFT adapters (default: Platform:DataDir/adapters).</summary>
    public string? AdaptersDir { get; set; }

    /// <summary>
    /// Where the models run: "cpu" (default), "cuda" or "cuda:N". A CUDA device needs a CUDA LibTorch on
    /// the library path (this repository ships TorchSharp-cpu); the host refuses to start otherwise.
    /// </summary>
    [RegularExpression(@"^(cpu|cuda(:\d{1,2})?)$", ErrorMessage = "Inference:Device must be cpu, cuda or cuda:N")]
    public string Device { get; set; } = "cpu";

    /// <summary>KV cache per model, in bytes.</summary>
    [Range(1024, long.MaxValue)]
    public long KvCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Tokens run through the model per engine step.</summary>
    [Range(16, 1 << 20)]
    public int MaxBatchedTokens { get; set; } = 512;

    /// <summary>Largest prefill chunk of one sequence per step.</summary>
    [Range(1, 1 << 20)]
    public int PrefillChunk { get; set; } = 256;

    /// <summary>Most sequences running at once per model.</summary>
    [Range(1, 4096)]
    public int MaxRunningSequences { get; set; } = 64;

    /// <summary>Steps a waiting sequence waits before it moves up one priority class.</summary>
    [Range(1, int.MaxValue)]
    public int AgingSteps { get; set; } = 256;

    /// <summary>
    /// Admission's first estimate of the share of their remaining max_tokens that running sequences will still write
    /// (SGLang's init_new_token_ratio); 0 admits whenever the next chunk fits (vLLM's optimistic admission); unset:
    /// 0.7 on the CPU, 0 on a GPU (<see cref="Platform.Inference.Serving.SchedulerOptions.ForDevice"/>).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? InitialNewTokenRatio { get; set; }

    /// <summary>
    /// On the CPU, run decode products on a packed copy of each weight (<see cref="Platform.Inference.Kernels.PackedMatrix"/>):
    /// 1.3× the 32-stream throughput on dev-2c, for the weights' size again in memory. Off: the dot-product kernel on
    /// the weights as loaded. Has no effect on a GPU or where 512-bit SIMD is not hardware.
    /// </summary>
    public bool PackCpuWeights { get; set; } = true;

    /// <summary>LoRA adapters kept loaded per model (LRU).</summary>
    [Range(1, 1024)]
    public int MaxLoadedAdapters { get; set; } = 8;

    /// <summary>Largest accepted request body, in bytes (413 above).</summary>
    [Range(1024, int.MaxValue)]
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}
