using System.ComponentModel;
using System.Diagnostics;
using Platform.Scheduling.Inventory;

namespace Platform.Scheduling.Workers;

/// <summary>Runs nvidia-smi: the GPU query the scheduler parses with <see cref="NvidiaSmiParser"/>, and the topology matrix.</summary>
public static class NvidiaSmi
{
    /// <summary>The arguments of the GPU query (<see cref="NvidiaSmiParser.QueryFields"/>, CSV with header and units).</summary>
    public static IReadOnlyList<string> QueryArguments { get; } = ["--query-gpu=" + NvidiaSmiParser.QueryFields, "--format=csv"];

    /// <summary>The arguments of the topology matrix (<see cref="NvidiaTopologyParser"/>).</summary>
    public static IReadOnlyList<string> TopologyArguments { get; } = ["topo", "-m"];

    /// <summary>
    /// Runs <paramref name="path"/> with <paramref name="arguments"/> and returns its standard output. Throws
    /// <see cref="SchedulingInputException"/> when it cannot start, exits non-zero or runs past <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> RunAsync(string path, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Process? process;
        try
        {
            process = Process.Start(new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true });
        }
        catch (Win32Exception e)
        {
            throw new SchedulingInputException($"{path} could not start: {e.Message}");
        }
        using var _ = process ?? throw new SchedulingInputException($"{path} could not start");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var error = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            return process.ExitCode == 0
                ? await output
                : throw new SchedulingInputException($"{path} {string.Join(' ', arguments)} exited with {process.ExitCode}: {(await error).Trim()}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new SchedulingInputException($"{path} {string.Join(' ', arguments)} took longer than {timeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
