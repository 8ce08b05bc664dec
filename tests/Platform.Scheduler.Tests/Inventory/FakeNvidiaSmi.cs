namespace Platform.Scheduler.Tests.Inventory;

/// <summary>
/// A shell script standing in for nvidia-smi: <c>topo -m</c> prints the recorded matrix, anything else the recorded
/// <c>--query-gpu</c> CSV. Every call's arguments are appended to <see cref="CallsLog"/>.
/// </summary>
public sealed class FakeNvidiaSmi : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fake-nvidia-smi-").FullName;

    public FakeNvidiaSmi(string csvFile = "nvidia-smi-h100x8.csv", string? topologyFile = "nvidia-smi-topo-h100x8-nvswitch.txt")
    {
        File.Copy(Recorded(csvFile), System.IO.Path.Combine(_dir, "gpus.csv"));
        if (topologyFile is not null)
        {
            File.Copy(Recorded(topologyFile), System.IO.Path.Combine(_dir, "topo.txt"));
        }
        Path = System.IO.Path.Combine(_dir, "nvidia-smi");
        File.WriteAllText(Path,
            """
            #!/bin/sh
            here=$(dirname "$0")
            echo "$@" >> "$here/calls.log"
            if [ "$1" = "topo" ]; then
              [ -f "$here/topo.txt" ] || { echo "topo not supported" >&2; exit 3; }
              cat "$here/topo.txt"
            else
              cat "$here/gpus.csv"
            fi
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Path { get; }

    public string CallsLog => System.IO.Path.Combine(_dir, "calls.log");

    public static string Recorded(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Inventory", "Recorded", name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
