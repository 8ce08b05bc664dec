using System.ComponentModel.DataAnnotations;

namespace Platform.Services.Scheduler.Backends.Local;

/// <summary>Settings of the local backend (section <c>Scheduler:Local</c>).</summary>
public sealed class LocalBackendOptions
{
    /// <summary>
    /// The process to start for each workload kind (<c>inference-replica</c>, <c>lora-fine-tune</c>,
    /// <c>full-fine-tune</c>). Arguments and environment values may use <see cref="CommandTemplate.Placeholders"/>.
    /// </summary>
    public Dictionary<string, LocalCommand> Commands { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Seconds between SIGTERM and the kill when a workload is stopped (a fine-tune gets its checkpoint time if longer).</summary>
    [Range(0, 3600)]
    public double GraceSeconds { get; set; } = 30;

    /// <summary>Crashes restarted before a workload is reported failed and its placement released.</summary>
    [Range(0, 100)]
    public int MaxRestarts { get; set; } = 3;

    /// <summary>Folder for each workload's stdout and stderr; empty = <c>Platform:DataDir</c>/workloads, or the temp folder.</summary>
    public string LogDir { get; set; } = "";
}

/// <summary>One command line.</summary>
public sealed class LocalCommand
{
    /// <summary>Executable (found on PATH when not a path).</summary>
    [Required]
    public string FileName { get; set; } = "";

    /// <summary>Arguments, each expanded separately (no shell).</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>Extra environment variables.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Working directory; empty = the scheduler's.</summary>
    public string WorkingDirectory { get; set; } = "";
}
