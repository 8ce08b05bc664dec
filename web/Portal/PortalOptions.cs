using System.ComponentModel.DataAnnotations;

namespace Platform.Portal;

/// <summary>Portal settings (<c>Portal:*</c>).</summary>
public sealed class PortalOptions
{
    /// <summary>The largest document the upload control reads; keep it at Ingestion:MaxUploadBytes, which refuses larger ones anyway.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>File types ingestion parses (its parsers' extensions).</summary>
    [MinLength(1)]
    public string[] DocumentExtensions { get; set; } = [".pdf", ".docx", ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".json", ".jsonl", ".ndjson"];

    /// <summary>The largest fine-tuning dataset the upload control reads; keep it at FineTune:MaxFileBytes, which refuses larger ones anyway.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDatasetBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Largest number of files one upload takes.</summary>
    [Range(1, 100)]
    public int MaxFilesPerUpload { get; set; } = 20;

    /// <summary>
    /// Mark the session and antiforgery cookies Secure on every response, also over plain http (production sets
    /// it: browsers then send them back only over https). Off, they are Secure when the request was https,
    /// as seen through the trusted proxies' X-Forwarded-Proto.
    /// </summary>
    public bool RequireSecureCookies { get; set; }
}
