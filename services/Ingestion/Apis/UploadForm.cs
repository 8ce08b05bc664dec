using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Platform.Ingestion.Storage;

namespace Platform.Services.Ingestion.Apis;

/// <summary>
/// The parts of a document upload: the first <c>file</c> part (streamed to a staging file) and the
/// metadata fields <c>tags</c> (comma-separated and/or repeated) and <c>date</c> (yyyy-MM-dd), before
/// or after the file. Unknown parts are skipped. The caller owns <see cref="Staged"/> once read.
/// </summary>
internal sealed class UploadForm
{
    private const int MaxFieldChars = 4096;
    private const int MaxFields = 100;

    public string? FileName { get; private set; }
    public string? ContentType { get; private set; }
    public DocumentFiles.Staged? Staged { get; private set; }
    public List<string> TagValues { get; } = [];
    public string? Date { get; private set; }

    /// <summary>The field at fault and why, when the form cannot be used.</summary>
    public (string Field, string Message)? Error { get; private set; }

    /// <summary>
    /// Reads every part. Stops early, with <see cref="Error"/> or an over-limit <see cref="Staged"/>, so an
    /// oversized body is not read to its end; any staged file is discarded if reading throws.
    /// </summary>
    public static async Task<UploadForm> ReadAsync(MultipartReader reader, DocumentFiles files, long maxBytes, CancellationToken ct)
    {
        var form = new UploadForm();
        try
        {
            var fields = 0;
            while (form.Error is null && form.Staged is not { OverLimit: true } && await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }
                var name = disposition.Name.Value;
                if (disposition.IsFileDisposition() && name == "file" && form.Staged is null)
                {
                    await form.ReadFileAsync(section, disposition, files, maxBytes, ct);
                }
                else if (disposition.IsFormDisposition() && name is "tags" or "date")
                {
                    if (++fields > MaxFields)
                    {
                        form.Error = (name, $"At most {MaxFields} metadata fields are allowed.");
                        break;
                    }
                    var value = await ReadFieldAsync(section.Body, ct);
                    if (value is null)
                    {
                        form.Error = (name, $"The '{name}' field is longer than {MaxFieldChars} characters.");
                    }
                    else if (name == "tags")
                    {
                        form.TagValues.Add(value);
                    }
                    else if (form.Date is not null)
                    {
                        form.Error = ("date", "Give the 'date' field once.");
                    }
                    else
                    {
                        form.Date = value;
                    }
                }
            }
            return form;
        }
        catch
        {
            if (form.Staged is { } staged)
            {
                DocumentFiles.Discard(staged.TempPath);
            }
            throw;
        }
    }

    private async Task ReadFileAsync(MultipartSection section, ContentDispositionHeaderValue disposition, DocumentFiles files, long maxBytes,
        CancellationToken ct)
    {
        var fileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
        if (fileName.Length is 0 or > 255)
        {
            Error = ("file", "The file part needs a file name of 1 to 255 characters.");
            return;
        }
        FileName = fileName;
        ContentType = section.ContentType;
        Staged = await files.StageAsync(section.Body, maxBytes, ct);
    }

    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken ct)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var buffer = new char[MaxFieldChars + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }
        return read > MaxFieldChars ? null : new string(buffer, 0, read);
    }
}
