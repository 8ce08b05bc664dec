namespace Platform.FineTune;

/// <summary>Fine-tuning job states (OpenAI's names): validating_files → queued → running → succeeded | failed | cancelled.</summary>
public static class JobStatus
{
    public const string ValidatingFiles = "validating_files";
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>States a job can still leave (and be cancelled from).</summary>
    public static readonly IReadOnlyList<string> Active = [ValidatingFiles, Queued, Running];

    /// <summary>Whether <paramref name="status"/> is final.</summary>
    public static bool IsFinal(string status) => status is Succeeded or Failed or Cancelled;
}
