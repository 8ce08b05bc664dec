using System.Security.Cryptography;
using System.Text;

namespace Platform.Ingestion.Tests;

/// <summary>
/// A one-page PDF encrypted with the Standard security handler, revision 2 (RC4, 40-bit key), that
/// needs a non-empty user password: PDF 1.4 reference §3.5, Algorithm 3.2 (file key), 3.3 (/O),
/// 3.4 (/U) and 3.1 (per-object keys for the content stream). PdfPig tries the empty user password
/// when none is given, so a document whose user password is empty would open; this one must not.
/// </summary>
public static class EncryptedPdf
{
    private static readonly byte[] Padding =
    [
        0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
        0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
    ];

    private const int Permissions = -44; // print, modify, copy, annotate allowed (bits 3-6); rev 2 reserved bits set

    public static byte[] Build(string text, string userPassword, string ownerPassword)
    {
        var fileId = MD5.HashData(Encoding.ASCII.GetBytes("platform-ingestion-test:" + text));
        var owner = OwnerEntry(ownerPassword, userPassword);
        var key = FileKey(userPassword, owner, fileId);
        var user = Rc4(key, Padding); // Algorithm 3.4
        var content = Encoding.ASCII.GetBytes($"BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
        var encryptedContent = Rc4(ObjectKey(key, 5, 0), content);

        using var pdf = new MemoryStream();
        var offsets = new long[7];
        void Write(string s) => pdf.Write(Encoding.ASCII.GetBytes(s));
        Write("%PDF-1.4\n");
        offsets[1] = pdf.Position;
        Write("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        offsets[2] = pdf.Position;
        Write("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        offsets[3] = pdf.Position;
        Write("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>\nendobj\n");
        offsets[4] = pdf.Position;
        Write("4 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
        offsets[5] = pdf.Position;
        Write($"5 0 obj\n<< /Length {encryptedContent.Length} >>\nstream\n");
        pdf.Write(encryptedContent);
        Write("\nendstream\nendobj\n");
        offsets[6] = pdf.Position;
        Write($"6 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <{Convert.ToHexString(owner)}> /U <{Convert.ToHexString(user)}> /P {Permissions} >>\nendobj\n");
        var xref = pdf.Position;
        Write("xref\n0 7\n0000000000 65535 f\r\n");
        for (var i = 1; i < offsets.Length; i++)
        {
            Write($"{offsets[i]:D10} 00000 n\r\n");
        }
        var id = Convert.ToHexString(fileId);
        Write($"trailer\n<< /Size 7 /Root 1 0 R /Encrypt 6 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n");
        return pdf.ToArray();
    }

    /// <summary>Algorithm 3.3: RC4 of the padded user password under MD5(padded owner password)[0..5].</summary>
    private static byte[] OwnerEntry(string ownerPassword, string userPassword)
    {
        var ownerKey = MD5.HashData(Pad(ownerPassword))[..5];
        return Rc4(ownerKey, Pad(userPassword));
    }

    /// <summary>Algorithm 3.2 for revision 2: MD5(padded password ‖ O ‖ P little-endian ‖ first file id)[0..5].</summary>
    private static byte[] FileKey(string userPassword, byte[] owner, byte[] fileId)
    {
        var input = new List<byte>(Pad(userPassword));
        input.AddRange(owner);
        input.AddRange(BitConverter.GetBytes(Permissions)); // little-endian on every platform .NET runs on here
        input.AddRange(fileId);
        return MD5.HashData(input.ToArray())[..5];
    }

    /// <summary>Algorithm 3.1: MD5(file key ‖ object number (3 bytes LE) ‖ generation (2 bytes LE)), first n + 5 bytes.</summary>
    private static byte[] ObjectKey(byte[] fileKey, int objectNumber, int generation)
    {
        byte[] input = [.. fileKey, (byte)objectNumber, (byte)(objectNumber >> 8), (byte)(objectNumber >> 16), (byte)generation, (byte)(generation >> 8)];
        return MD5.HashData(input)[..(fileKey.Length + 5)];
    }

    private static byte[] Pad(string password)
    {
        var bytes = Encoding.Latin1.GetBytes(password);
        return [.. bytes.Take(32), .. Padding.Take(32 - Math.Min(32, bytes.Length))];
    }

    /// <summary>RC4 (ARCFOUR); encryption and decryption are the same operation.</summary>
    public static byte[] Rc4(byte[] key, byte[] data)
    {
        var s = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        for (int i = 0, j = 0; i < 256; i++)
        {
            j = (j + s[i] + key[i % key.Length]) & 0xFF;
            (s[i], s[j]) = (s[j], s[i]);
        }
        var output = new byte[data.Length];
        for (int n = 0, i = 0, j = 0; n < data.Length; n++)
        {
            i = (i + 1) & 0xFF;
            j = (j + s[i]) & 0xFF;
            (s[i], s[j]) = (s[j], s[i]);
            output[n] = (byte)(data[n] ^ s[(s[i] + s[j]) & 0xFF]);
        }
        return output;
    }
}
