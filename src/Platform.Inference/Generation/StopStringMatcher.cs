using System.Text;

namespace Platform.Inference.Generation;

/// <summary>
/// Finds stop strings in streamed text. Text that could still become the start of a stop string is
/// held back, so nothing past a stop string is ever released.
/// </summary>
public sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _pending = new();

    /// <summary>Whether a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="delta"/>; returns the text that is now safe to release.</summary>
    public string Push(string delta)
    {
        if (Stopped)
        {
            return "";
        }
        _pending.Append(delta);
        if (stops.Count == 0)
        {
            return Drain(_pending.Length);
        }
        var text = _pending.ToString();
        var first = -1;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }
        if (first >= 0)
        {
            Stopped = true;
            var released = text[..first];
            _pending.Clear();
            return released;
        }
        return Drain(text.Length - HeldBack(text));
    }

    /// <summary>Releases whatever is held back (call when generation ends for another reason).</summary>
    public string Flush() => Stopped ? "" : Drain(_pending.Length);

    private int HeldBack(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var n = Math.Min(stop.Length - 1, text.Length); n > longest; n--)
            {
                if (string.CompareOrdinal(text, text.Length - n, stop, 0, n) == 0)
                {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }

    private string Drain(int count)
    {
        var released = _pending.ToString(0, count);
        _pending.Remove(0, count);
        return released;
    }
}
