using System.Security.Cryptography;

namespace Platform.Ingestion.Storage;

/// <summary>
/// Uploaded files on disk under <c>{root}/{tenant}/{knowledge base}/{document}</c>. Uploads are
/// streamed to a temporary file while hashed and measured, then moved into place.
/// </summary>
public sealed class DocumentFiles(string root)
{
    /// <summary>A streamed upload: where it landed, its size and SHA-256, or that it went over the limit.</summary>
    public sealed record Staged(string TempPath, long Size, string Sha256, bool OverLimit);

    public string PathOf(Guid tenantId, Guid knowledgeBaseId, Guid documentId) =>
        Path.Combine(root, tenantId.ToString("N"), knowledgeBaseId.ToString("N"), documentId.ToString("N"));

    /// <summary>Copies <paramref name="content"/> to a temp file, stopping (and deleting it) once more than <paramref name="maxBytes"/> arrive.</summary>
    public async Task<Staged> StageAsync(Stream content, long maxBytes, CancellationToken ct)
    {
        var tmpDir = Path.Combine(root, "tmp");
        Directory.CreateDirectory(tmpDir);
        var tempPath = Path.Combine(tmpDir, Guid.NewGuid().ToString("N"));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        var buffer = new byte[81920];
        try
        {
            await using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        file.Close();
                        File.Delete(tempPath);
                        // Drain nothing more: the caller answers 413 and the connection is closed.
                        return new Staged(tempPath, size, "", true);
                    }
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            return new Staged(tempPath, size, Convert.ToHexStringLower(sha.GetHashAndReset()), false);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Moves a staged upload to its document's place.</summary>
    public void Commit(string tempPath, Guid tenantId, Guid knowledgeBaseId, Guid documentId)
    {
        var target = PathOf(tenantId, knowledgeBaseId, documentId);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(tempPath, target, overwrite: true);
    }

    public static void Discard(string tempPath)
    {
        if (File.Exists(tempPath))
        {
            File.Delete(tempPath);
        }
    }

    public void DeleteDocument(Guid tenantId, Guid knowledgeBaseId, Guid documentId)
    {
        var path = PathOf(tenantId, knowledgeBaseId, documentId);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    public void DeleteKnowledgeBase(Guid tenantId, Guid knowledgeBaseId)
    {
        var dir = Path.Combine(root, tenantId.ToString("N"), knowledgeBaseId.ToString("N"));
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
