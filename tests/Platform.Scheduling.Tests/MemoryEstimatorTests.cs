using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Tests;

public sealed class MemoryEstimatorTests
{
    private const double GB = 1e9;

    [Fact]
    public void SevenBillionParametersInFp16AreFourteenGigabytes()
    {
        Assert.Equal(14 * GB, MemoryEstimator.Weights(7_000_000_000, DType.FP16));
        Assert.InRange(MemoryEstimator.Weights(ModelSpec.Llama2_7B.Parameters, DType.FP16) / GB, 13.4, 14.0);
    }

    [Fact]
    public void SeventyBillionInFp16AreAboutOneHundredFortyGigabytesAndHalfThatInInt8()
    {
        Assert.InRange(MemoryEstimator.Weights(ModelSpec.Llama2_70B.Parameters, DType.FP16) / GB, 137, 141);
        Assert.InRange(MemoryEstimator.Weights(ModelSpec.Llama2_70B.Parameters, DType.INT8) / GB, 68, 70.5);
    }

    [Fact]
    public void KvCacheOfOpt13BIsTheVllmPapers800KBPerToken()
    {
        // vLLM (Kwon et al., SOSP'23): 2 × 5120 × 40 × 2 bytes = 800 KB per token for OPT-13B.
        Assert.Equal(819_200, MemoryEstimator.KvCacheBytesPerToken(ModelSpec.Opt13B));
    }

    [Fact]
    public void KvCacheOfLlama2_7BIsHalfAMebibytePerTokenAndGqaShrinksLlama3By4x()
    {
        Assert.Equal(512 * 1024, MemoryEstimator.KvCacheBytesPerToken(ModelSpec.Llama2_7B));
        Assert.Equal(128 * 1024, MemoryEstimator.KvCacheBytesPerToken(ModelSpec.Llama3_8B));
    }

    [Fact]
    public void ZeroPaperFiguresForMixedPrecisionAdam()
    {
        // ZeRO (Rajbhandari et al., 2020): a 1.5B GPT-2 needs 24 GB for weights, gradients and
        // optimizer states; a 7.5B model needs 120 GB, 1.9 GB per device at Nd = 64 with full sharding.
        var gpt2 = new ModelSpec("gpt2-1.5b", 1_500_000_000, 48, 1600, 25, 25);
        var states = MemoryEstimator.FullFineTune(gpt2, 1, 1, 1024);
        Assert.Equal(24 * GB, states.WeightsBytes + states.OptimizerAndGradientBytes);

        var model75 = new ModelSpec("7.5b", 7_500_000_000, 32, 4096, 32, 32);
        var sharded = MemoryEstimator.FullFineTune(model75, 64, 1, 1024);
        Assert.InRange((sharded.WeightsBytes + sharded.OptimizerAndGradientBytes) / GB, 1.85, 1.9);
    }

    [Fact]
    public void QloraFits65BOnA48GBGpuWhileFull16BitFineTuningNeedsOver780GB()
    {
        // QLoRA (Dettmers et al., 2023): finetuning LLaMA 65B drops from >780 GB to <48 GB.
        var llama65 = new ModelSpec("llama-65b", 65_200_000_000, 80, 8192, 64, 64);
        var qlora = MemoryEstimator.LoraFineTune(llama65, DType.INT4, rank: 64, batch: 1, sequenceLength: 512,
            includeMlp: true, adapterStateBytesPerParameter: 12);
        Assert.True(qlora.TotalBytes < 48 * GB, $"QLoRA estimate {qlora.TotalBytes / GB:0.0} GB");
        Assert.True(MemoryEstimator.FullFineTune(llama65, 1, 1, 512).TotalBytes > 780 * GB);
    }

    [Fact]
    public void InferenceReplicaAddsKvBudgetAndOverheadToWeights()
    {
        var replica = MemoryEstimator.InferenceReplica(ModelSpec.Llama2_13B, DType.FP16, 65_536);
        Assert.Equal(819_200L * 65_536, replica.KvCacheBytes);
        Assert.True(replica.TotalBytes < 80L << 30, "the simulator's acme replica must fit an 80 GiB GPU");
    }

    [Fact]
    public void FullFineTuneGangPicksTheSmallestPowerOfTwoThatFits()
    {
        var gang = MemoryEstimator.FullFineTuneGang(ModelSpec.Llama2_7B, 80L << 30, batchPerDevice: 1, sequenceLength: 2048);
        Assert.NotNull(gang);
        Assert.Equal(2, gang.Value.Devices); // 108 GB of states do not fit one 80 GiB device
        Assert.Null(MemoryEstimator.FullFineTuneGang(ModelSpec.Llama2_70B, 24L << 30, 1, 2048));
    }
}
