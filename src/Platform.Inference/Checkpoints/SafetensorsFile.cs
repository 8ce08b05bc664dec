using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;

namespace Platform.Inference.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file. The header is parsed and checked up front (every byte range
/// inside the data section, sizes consistent with dtype and shape); tensors are copied out on demand.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    // Real headers are kilobytes to a few megabytes; anything larger is a corrupt length prefix.
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart,
        Dictionary<string, SafetensorsTensorInfo> tensors)
    {
        Path = path;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        Tensors = tensors;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
    }

    /// <summary>Path of the file.</summary>
    public string Path { get; }

    /// <summary>Header entries by tensor name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Maps and validates <paramref name="path"/>; throws <see cref="ModelLoadException"/> on any defect.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException(path, null, "file not found");
        }
        var length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new ModelLoadException(path, "header", $"file is {length} bytes, too short for a safetensors header");
        }
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            try
            {
                var (dataStart, tensors) = ReadHeader(path, view, length);
                return new SafetensorsFile(path, map, view, dataStart, tensors);
            }
            catch
            {
                view.Dispose();
                throw;
            }
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    private static (long DataStart, Dictionary<string, SafetensorsTensorInfo> Tensors) ReadHeader(
        string path, MemoryMappedViewAccessor view, long fileLength)
    {
        var prefix = new byte[8];
        view.ReadArray(0, prefix, 0, 8);
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > fileLength - 8)
        {
            throw new ModelLoadException(path, "header",
                $"header length {headerLength} is impossible for a file of {fileLength} bytes (corrupt or not safetensors)");
        }
        var headerBytes = new byte[headerLength];
        view.ReadArray(8, headerBytes, 0, headerBytes.Length);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, "header", $"header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, "header", "header must be a JSON object");
            }
            var dataStart = 8 + headerLength;
            var dataLength = fileLength - dataStart;
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }
                tensors[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
            }
            return (dataStart, tensors);
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement entry, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new ModelLoadException(path, name, "header entry needs \"dtype\", \"shape\" and two \"data_offsets\"");
        }
        var dtype = dtypeElement.GetString()!;
        var elementSize = SafetensorsDType.ElementSize(dtype)
            ?? throw new ModelLoadException(path, name, $"dtype '{dtype}' is not a safetensors dtype");
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new ModelLoadException(path, name, "shape must be a list of non-negative integers");
            }
            shape[i++] = value;
        }
        if (!offsetsElement[0].TryGetInt64(out var begin) || !offsetsElement[1].TryGetInt64(out var end)
            || begin < 0 || end < begin || end > dataLength)
        {
            throw new ModelLoadException(path, name,
                $"data_offsets lie outside the {dataLength}-byte data section (file truncated or header corrupt)");
        }
        var info = new SafetensorsTensorInfo(name, dtype, shape, begin, end);
        if (info.ElementCount * elementSize != end - begin)
        {
            throw new ModelLoadException(path, name,
                $"data_offsets span {end - begin} bytes but {dtype} shape [{string.Join(", ", shape)}] needs {info.ElementCount * elementSize}");
        }
        return info;
    }

    /// <summary>
    /// Copies tensor <paramref name="name"/> out of the mapping as a new CPU tensor, converted to
    /// <paramref name="dtype"/> when that differs from the stored dtype.
    /// </summary>
    public torch.Tensor ReadTensor(string name, torch.ScalarType dtype)
    {
        if (!Tensors.TryGetValue(name, out var info))
        {
            throw new ModelLoadException(Path, name, "tensor not found");
        }
        var byteCount = info.End - info.Begin;
        if (byteCount > int.MaxValue)
        {
            throw new ModelLoadException(Path, name, "tensors over 2 GiB are not supported");
        }
        var stored = SafetensorsDType.ToScalarType(info.DType)
            ?? throw new ModelLoadException(Path, name, $"dtype {info.DType} is not supported for weights (F32, F16, BF16 are)");
        var tensor = torch.empty(info.Shape, stored, torch.CPU);
        if (byteCount > 0)
        {
            new ReadOnlySpan<byte>(_base + _dataStart + info.Begin, (int)byteCount).CopyTo(tensor.bytes);
        }
        if (stored == dtype)
        {
            return tensor;
        }
        using (tensor)
        {
            return tensor.to_type(dtype);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
