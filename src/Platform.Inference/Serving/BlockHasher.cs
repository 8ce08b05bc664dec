using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Inference.Serving;

/// <summary>
/// Hashes of full KV blocks as a chain: block i's hash covers block i-1's hash and its own token
/// ids, and the chain starts from a root over the tenant's cache salt and the adapter id. Two
/// blocks share a hash only when the whole prefix, the salt and the adapter are the same, so
/// cached KV never crosses tenants or adapters. SHA-256 truncated to 128 bits.
/// </summary>
public static class BlockHasher
{
    /// <summary>The chain root for <paramref name="cacheSalt"/> and <paramref name="adapterId"/> ("" for the base model).</summary>
    public static UInt128 Root(string cacheSalt, string adapterId)
    {
        var bytes = Encoding.UTF8.GetBytes($"{cacheSalt.Length}:{cacheSalt}|{adapterId.Length}:{adapterId}");
        return Truncate(SHA256.HashData(bytes));
    }

    /// <summary>The hash of a block holding <paramref name="tokens"/> after a block hashed <paramref name="parent"/>.</summary>
    public static UInt128 Next(UInt128 parent, ReadOnlySpan<int> tokens)
    {
        Span<byte> buffer = stackalloc byte[16 + tokens.Length * 4];
        BinaryPrimitives.WriteUInt128LittleEndian(buffer, parent);
        for (var i = 0; i < tokens.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[(16 + i * 4)..], tokens[i]);
        }
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(buffer, digest);
        return Truncate(digest);
    }

    /// <summary>Hashes of the first <paramref name="blockCount"/> full blocks of <paramref name="tokens"/>.</summary>
    public static List<UInt128> Chain(UInt128 root, IReadOnlyList<int> tokens, int blockSize, int blockCount)
    {
        var result = new List<UInt128>(blockCount);
        var block = new int[blockSize];
        var parent = root;
        for (var b = 0; b < blockCount; b++)
        {
            for (var i = 0; i < blockSize; i++)
            {
                block[i] = tokens[b * blockSize + i];
            }
            parent = Next(parent, block);
            result.Add(parent);
        }
        return result;
    }

    private static UInt128 Truncate(ReadOnlySpan<byte> digest) => BinaryPrimitives.ReadUInt128LittleEndian(digest);
}
