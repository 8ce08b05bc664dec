namespace Platform.Inference.Generation;

/// <summary>
/// The values a JSON Schema number admits (<c>minimum</c>/<c>exclusiveMinimum</c>, <c>maximum</c>/<c>exclusiveMaximum</c>),
/// and whether a number's text so far can still end inside them.
/// </summary>
internal readonly record struct DecimalRange(decimal? Low, bool LowOpen, decimal? High, bool HighOpen)
{
    /// <summary>What the text so far is: its sign, the digits read (a magnitude) and where more digits would go.</summary>
    internal enum Shape : byte
    {
        /// <summary>"-" alone: any value below zero.</summary>
        Sign,

        /// <summary>"0": a fraction may follow, [0, 1).</summary>
        Zero,

        /// <summary>Integer digits d ≥ 1: more digits or a fraction, ∪ₖ [d·10ᵏ, (d+1)·10ᵏ).</summary>
        Whole,

        /// <summary>A point or fraction digits (fractionDigits after the point): [m, m + 10^−fractionDigits).</summary>
        Fraction,
    }

    /// <summary>Whether <paramref name="value"/> lies within the bounds.</summary>
    public bool Admits(decimal value) =>
        (Low is not { } low || (LowOpen ? value > low : value >= low)) && (High is not { } high || (HighOpen ? value < high : value <= high));

    /// <summary>Whether some number written on from this text can end inside the bounds.</summary>
    public bool Reachable(bool negative, decimal magnitude, int fractionDigits, Shape shape)
    {
        switch (shape)
        {
            case Shape.Sign:
                // A minus only where some value below zero is admitted ("-0" alone would only spell 0 oddly).
                return Overlaps(null, false, 0, true);
            case Shape.Zero:
                return Magnitudes(negative, 0, 1);
            case Shape.Fraction:
                return Magnitudes(negative, magnitude, magnitude + Step(fractionDigits));
            default:
                // More integer digits scale the interval up; past the bound on that side none can come back.
                for (decimal scale = 1; scale <= 1e18m; scale *= 10)
                {
                    decimal from = magnitude * scale, to = (magnitude + 1) * scale;
                    if (Magnitudes(negative, from, to))
                    {
                        return true;
                    }
                    if (negative ? Low is { } low && -from < low : High is { } high && from > high)
                    {
                        return false;
                    }
                }
                return false;
        }
    }

    // Whether magnitudes in [from, to) (to null: unbounded), given the sign, meet the bounds.
    private bool Magnitudes(bool negative, decimal from, decimal? to) => negative
        ? Overlaps(-to, true, -from, false)
        : Overlaps(from, false, to, true);

    // Whether the interval from lower to upper (null: unbounded; open ends excluded) meets the bounds.
    private bool Overlaps(decimal? lower, bool lowerOpen, decimal? upper, bool upperOpen)
    {
        var (start, startOpen) = Max((lower, lowerOpen), (Low, LowOpen));
        var (end, endOpen) = Min((upper, upperOpen), (High, HighOpen));
        return start is not { } s || end is not { } e || s < e || (s == e && !startOpen && !endOpen);
    }

    private static (decimal?, bool) Max((decimal? Value, bool Open) a, (decimal? Value, bool Open) b) =>
        a.Value is not { } x ? b : b.Value is not { } y ? a : x > y ? a : y > x ? b : (x, a.Open || b.Open);

    private static (decimal?, bool) Min((decimal? Value, bool Open) a, (decimal? Value, bool Open) b) =>
        a.Value is not { } x ? b : b.Value is not { } y ? a : x < y ? a : y < x ? b : (x, a.Open || b.Open);

    /// <summary>10^−digits.</summary>
    public static decimal Step(int digits)
    {
        var step = 1m;
        for (var i = 0; i < digits; i++)
        {
            step /= 10;
        }
        return step;
    }
}
