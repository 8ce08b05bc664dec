using Platform.FineTune.Pool;
using Platform.Scheduling.Workloads;

namespace Platform.FineTune.Tests;

public sealed class PoolUnitTests
{
    private static readonly string[] Attention = ["q_proj", "k_proj", "v_proj", "o_proj"];
    private static readonly string[] All = [.. Attention, "gate_proj", "up_proj", "down_proj"];

    [Fact]
    public void The_lora_request_is_the_schedulers_estimate_for_f32_training_without_checkpointing()
    {
        var model = ModelSpec.Llama2_7B;
        var estimate = LoraPoolEstimate.For(model, 8, Attention, 512);
        Assert.Equal(MemoryEstimator.LoraFineTune(model, DType.FP32, 8, 1, 512, includeMlp: false, gradientCheckpointing: false,
            adapterStateBytesPerParameter: 16), estimate);
        Assert.Equal(model.Parameters * 4, estimate.WeightsBytes);
        var lora = MemoryEstimator.LoraParameters(model, 8);
        Assert.Equal(16 * lora, estimate.AdapterBytes + estimate.OptimizerAndGradientBytes);
        // Any MLP target adds the MLP projections; fewer attention targets are rounded up to all four.
        Assert.True(LoraPoolEstimate.For(model, 8, ["q_proj", "down_proj"], 512).TotalBytes > estimate.TotalBytes);
        Assert.Equal(estimate, LoraPoolEstimate.For(model, 8, ["q_proj", "v_proj"], 512));
        Assert.Equal(LoraPoolEstimate.For(model, 8, All, 512), LoraPoolEstimate.For(model, 8, ["gate_proj"], 512));
        Assert.Equal(estimate.TotalBytes - MemoryEstimator.DefaultRuntimeOverheadBytes, LoraPoolEstimate.For(model, 8, Attention, 512, overheadBytes: 0).TotalBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => LoraPoolEstimate.For(model, 8, Attention, 0));
    }

    [Theory]
    [InlineData("gpu-node-1/gpu3", "cuda:3")]
    [InlineData("gpu-node-1/gpu0", "cuda:0")]
    [InlineData("scheduler-host/cpu", "cpu")]
    [InlineData("gpu-node-1/gpux", "cpu")]
    [InlineData("gpu12", "cuda:12")]
    public void A_placed_device_maps_to_a_torch_device(string deviceId, string expected) =>
        Assert.Equal(expected, PoolDevices.TorchDevice([deviceId]));

    [Fact]
    public void No_device_or_a_gang_trains_on_the_cpu()
    {
        Assert.Equal("cpu", PoolDevices.TorchDevice([]));
        Assert.Equal("cpu", PoolDevices.TorchDevice(["n/gpu0", "n/gpu1"]));
    }

    [Fact]
    public void The_queue_wait_is_a_list_schedule_of_the_jobs_ahead()
    {
        // 100 tokens/s: jobs of 10 s, 30 s, 20 s and 5 s.
        var ahead = new[] { 1000L, 3000, 2000, 500 }.Select((t, i) => new QueuedWork($"j{i}", t, 100)).ToList();
        Assert.Equal(0, QueueEstimate.WaitSeconds([], 1));
        Assert.Equal(65, QueueEstimate.WaitSeconds(ahead, 1), 6);
        // Two slots: 10 | 30, then 20 goes after 10 (ends 30), 5 after that (35) or the 30 one: slots free at 30 and 35 → 30.
        Assert.Equal(30, QueueEstimate.WaitSeconds(ahead, 2), 6);
        Assert.Equal(0, QueueEstimate.WaitSeconds(ahead, 5), 6);
        Assert.Equal(0, new QueuedWork("done", -50, 100).Seconds);
        Assert.Equal(0, new QueuedWork("no rate", 50, 0).Seconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => QueueEstimate.WaitSeconds(ahead, 0));
    }
}
