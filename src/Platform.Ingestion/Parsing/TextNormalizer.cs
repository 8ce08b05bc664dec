using System.Text;

namespace Platform.Ingestion.Parsing;

/// <summary>
/// Unicode NFC plus whitespace normalisation. Prose collapses every run of whitespace to one space;
/// code keeps its lines and indentation (tabs and trailing spaces aside). Control characters other
/// than line breaks are dropped, and so are zero-width and byte-order marks.
/// </summary>
public static class TextNormalizer
{
    /// <summary>Prose: NFC, one space between words, no line breaks, trimmed.</summary>
    public static string Prose(string text)
    {
        var nfc = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        var sb = new StringBuilder(nfc.Length);
        var pendingSpace = false;
        foreach (var c in nfc)
        {
            if (char.IsWhiteSpace(c) || c == '\u00A0')
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (IsDropped(c))
            {
                continue;
            }
            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Code and preformatted text: NFC, \n line ends, tabs as four spaces, no trailing spaces or blank edges.</summary>
    public static string Preformatted(string text)
    {
        var nfc = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        var lines = nfc.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var sb = new StringBuilder(nfc.Length);
        foreach (var line in lines)
        {
            var clean = new StringBuilder(line.Length);
            foreach (var c in line)
            {
                if (c == '\t')
                {
                    clean.Append("    ");
                }
                else if (!IsDropped(c))
                {
                    clean.Append(c == '\u00A0' ? ' ' : c);
                }
            }
            sb.Append(clean.ToString().TrimEnd()).Append('\n');
        }
        return sb.ToString().Trim('\n');
    }

    private static bool IsDropped(char c) =>
        char.IsControl(c) || c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF';
}
