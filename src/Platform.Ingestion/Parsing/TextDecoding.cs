using System.Text;

namespace Platform.Ingestion.Parsing;

/// <summary>
/// Decodes uploaded text files: UTF-8 (with or without BOM) or UTF-16 with a BOM. Anything else is
/// refused with a reason rather than guessed, so a Latin-1 or binary file never becomes mojibake
/// in the index.
/// </summary>
public static class TextDecoding
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(byte[] bytes)
    {
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
        {
            return Strict(new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true), bytes, 2, "UTF-16");
        }
        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
        {
            return Strict(new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: true), bytes, 2, "UTF-16");
        }
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var nul = Array.IndexOf(bytes, (byte)0, start);
        if (nul >= 0)
        {
            throw new DocumentRejectedException(
                $"The file contains binary data (a zero byte at offset {nul}), not text; check that the extension matches the content.");
        }
        return Strict(StrictUtf8, bytes, start, "UTF-8");
    }

    private static string Strict(Encoding encoding, byte[] bytes, int start, string name)
    {
        try
        {
            return encoding.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 ? $" at byte {start + e.Index}" : "";
            throw new DocumentRejectedException(
                $"The file is not valid {name} text (an invalid byte sequence{offset}); save it as UTF-8 and upload it again.", e);
        }
    }
}
