using System.Runtime.InteropServices;

namespace Platform.InferenceService.Tests;

/// <summary>
/// The native crash of docs/serving.md ("Native crash"): TorchSharp Scalars made from C# numbers (and
/// the implicit alpha of tensor additions) were freed by the GC finalizer thread while LibTorch still
/// read them on the engine thread. Here freed memory is scribbled (glibc's M_PERTURB) and a thread
/// forces collections and finalizers without pause, so such a use-after-free fails a step within a
/// few rounds (it did before the fix: in rounds 0 to 4); fixed, every output equals the reference.
/// </summary>
public sealed class NativeMemoryTests
{
    private const int Rounds = 12;

    [Fact]
    public async Task GreedyOutputs_UnderConstantCollections_WithFreedMemoryScribbled_EqualTheReference()
    {
        var prompts = EngineHarness.MixedPrompts(4);
        var expected = prompts.Select(p => Reference.Greedy(p, 24).Text).ToList();
        using var engine = EngineHarness.Start(kvBytes: 1L << 20, maxBatchedTokens: 64, prefillChunk: 16);
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        var scribbling = OperatingSystem.IsLinux() && mallopt(MPerturb, 0xA5) == 1;
        collector.Start();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var salt = "round-" + round;
                var outputs = await Task.WhenAll(prompts.Select(p => EngineHarness.Run(engine, EngineHarness.Greedy(p, 24, salt))));
                Assert.Equal(expected, outputs.Select(o => o.Text));
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
            if (scribbling)
            {
                mallopt(MPerturb, 0);
            }
        }
    }

    private const int MPerturb = -6;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
