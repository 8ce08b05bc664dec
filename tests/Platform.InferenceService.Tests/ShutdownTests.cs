using Microsoft.Extensions.DependencyInjection;
using Platform.Services.Inference.Models;

namespace Platform.InferenceService.Tests;

/// <summary>
/// The remaining native crash of docs/serving.md ("Native crash"): a host run by
/// WebApplicationFactory on Kestrel stops its hosted services twice at the same moment, and two
/// threads freeing one model's TorchSharp modules and tensors crashed the process with glibc heap
/// errors (or threw ObjectDisposedException from TorchSharp's BoxedModule handle). Here several
/// threads stop the catalog at once; each must return only after every engine and the weights are
/// freed, and none may throw.
/// </summary>
public sealed class ShutdownTests
{
    private const int Stoppers = 8;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ConcurrentStops_FreeTheModelOnce_AndReturnAfterItIsFreed(int round)
    {
        _ = round;
        using var host = new InferenceHost();
        var catalog = host.Services.GetRequiredService<ModelCatalog>();
        var weights = catalog.Engines[InferenceHost.Model].Model.Model.Projections.Values.Select(p => p.Weight).ToList();
        Assert.All(weights, w => Assert.False(w.IsInvalid));

        using var start = new Barrier(Stoppers);
        var stoppers = Enumerable.Range(0, Stoppers).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            catalog.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            // Seen from this caller, shutdown is complete.
            return (catalog.Engines.Count, Freed: weights.All(w => w.IsInvalid));
        }, TaskCreationOptions.LongRunning)).ToList();
        var results = await Task.WhenAll(stoppers);

        Assert.All(results, r => Assert.Equal((0, true), r));
        // The host's own stop and the container's dispose come after: both find nothing left to free.
        catalog.Dispose();
    }
}
