using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Platform.Inference.Checkpoints;

/// <summary>Writes CPU tensors (F32, F16, BF16) to a safetensors file, in the given order.</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, replacing any existing file.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        var entries = tensors.ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            var bytes = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new
            {
                dtype = SafetensorsDType.FromScalarType(tensor.dtype),
                shape = tensor.shape,
                data_offsets = new[] { offset, offset + bytes },
            };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        // The spec asks for the data section to start 8-byte aligned; pad the header with spaces.
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, padded);
        stream.Write(prefix);
        stream.Write(json);
        stream.Write(Encoding.ASCII.GetBytes(new string(' ', padded - json.Length)));
        foreach (var (_, tensor) in entries)
        {
            using var contiguous = tensor.detach().cpu().contiguous();
            stream.Write(contiguous.bytes);
        }
    }
}
