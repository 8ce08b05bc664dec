using System.Text;
using Microsoft.Extensions.Options;
using Platform.Inference.Training;
using Platform.Services.FineTune.Models;

namespace Platform.Services.FineTune.Data;

/// <summary>Where datasets, checkpoints and adapters live on disk, and validating a dataset file.</summary>
public sealed class DatasetFiles(IOptions<FineTuneOptions> options)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The stored dataset.</summary>
    public string PathOf(Guid tenantId, string fileId) => Path.Combine(options.Value.DataDir, "files", tenantId.ToString(), fileId + ".jsonl");

    /// <summary>A staging path for an upload being validated.</summary>
    public string StagingPath(Guid tenantId, string fileId)
    {
        var dir = Path.Combine(options.Value.DataDir, "files", tenantId.ToString());
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, fileId + ".uploading");
    }

    /// <summary>A job's checkpoint folders live here.</summary>
    public string JobDirectory(Guid tenantId, string jobId) => Path.Combine(options.Value.DataDir, "jobs", tenantId.ToString(), jobId);

    /// <summary>The adapter folder of a fine-tuned model: ModelsDir/adapters/&lt;tenant&gt;/&lt;base&gt;:&lt;suffix&gt;/.</summary>
    public string AdapterDirectory(Guid tenantId, string fineTunedModel) =>
        Path.Combine(options.Value.ModelsDir, "adapters", tenantId.ToString(), fineTunedModel);

    /// <summary>Validates the JSONL at <paramref name="path"/> for <paramref name="model"/>; a file that is not UTF-8 is one error.</summary>
    public DatasetReport Validate(string path, BaseModelInfo model)
    {
        try
        {
            using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
            return DatasetValidator.Validate(reader, model.Encoder, model.ContextLength);
        }
        catch (DecoderFallbackException)
        {
            return new DatasetReport { Examples = [], Errors = [new DatasetError(0, "the file is not UTF-8 text.")], ErrorCount = 1 };
        }
    }

    /// <summary>Checks the JSONL at <paramref name="path"/> for format only (no tokenizer); a file that is not UTF-8 is one error.</summary>
    public DatasetFormatReport ValidateFormat(string path)
    {
        try
        {
            using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
            return DatasetValidator.ValidateFormat(reader);
        }
        catch (DecoderFallbackException)
        {
            return new DatasetFormatReport { ExampleCount = 0, Errors = [new DatasetError(0, "the file is not UTF-8 text.")], ErrorCount = 1 };
        }
    }

    /// <summary>Deletes a file if it exists.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
