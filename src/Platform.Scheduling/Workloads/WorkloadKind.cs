namespace Platform.Scheduling.Workloads;

/// <summary>What a workload is; decides its preemption cost and whether it must be gang-placed.</summary>
public enum WorkloadKind
{
    /// <summary>A serving replica of a model (weights + KV-cache budget).</summary>
    InferenceReplica,

    /// <summary>A LoRA/QLoRA fine-tune: frozen base weights + a small trained adapter.</summary>
    LoraFineTune,

    /// <summary>A full fine-tune; multi-GPU runs are a gang on one NVLink group.</summary>
    FullFineTune,
}
