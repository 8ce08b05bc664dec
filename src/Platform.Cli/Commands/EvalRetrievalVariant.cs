using System.Globalization;

namespace Platform.Cli.Commands;

/// <summary>
/// One set of hybrid tuning parameters for eval-retrieval; a null field is left out of the request, so
/// the Rag service's own default applies.
/// </summary>
public sealed record EvalRetrievalVariant(string? Fusion, double? Alpha, int? RrfK, double? MmrLambda)
{
    /// <summary>No overrides: the product defaults.</summary>
    public static readonly EvalRetrievalVariant Defaults = new(null, null, null, null);

    /// <summary>
    /// The defaults, then every combination of the comma lists given in --fusion, --alpha, --rrf-k and
    /// --mmr-lambda (only the defaults when none is given).
    /// </summary>
    public static IReadOnlyList<EvalRetrievalVariant> Parse(Options options)
    {
        var fusions = List(options, "fusion", s => s is "relative_score" or "rrf" ? s : null);
        var alphas = List(options, "alpha", s => Number(s) is double a and >= 0 and <= 1 ? (object)a : null).Select(v => (double?)v).ToList();
        var rrfKs = List(options, "rrf-k", s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k <= 1000 ? (object)k : null)
            .Select(v => (int?)v).ToList();
        var lambdas = List(options, "mmr-lambda", s => Number(s) is double l and >= 0 and <= 1 ? (object)l : null).Select(v => (double?)v).ToList();
        var combinations = from f in fusions from a in alphas from k in rrfKs from l in lambdas select new EvalRetrievalVariant(f, a, k, l);
        return combinations.Prepend(Defaults).Distinct().ToList();
    }

    /// <summary>The /v1/rag/search body for one query.</summary>
    public Dictionary<string, object> Request(Guid kb, string query, string mode)
    {
        var body = new Dictionary<string, object> { ["knowledge_base_ids"] = new[] { kb }, ["query"] = query, ["top_k"] = 100, ["mode"] = mode };
        foreach (var (key, value) in Describe())
        {
            body[key] = value;
        }
        return body;
    }

    /// <summary>The overrides as request fields (also printed with the result).</summary>
    public IEnumerable<(string Key, object Value)> Describe()
    {
        if (Fusion is not null)
        {
            yield return ("fusion", Fusion);
        }
        if (Alpha is { } alpha)
        {
            yield return ("alpha", alpha);
        }
        if (RrfK is { } k)
        {
            yield return ("rrf_k", k);
        }
        if (MmrLambda is { } lambda)
        {
            yield return ("mmr_lambda", lambda);
        }
    }

    private static double? Number(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The parsed values of a comma list, or one null when the option is absent.</summary>
    private static List<T?> List<T>(Options options, string name, Func<string, T?> parse)
        where T : class
    {
        var text = options.Get(name);
        if (text is null)
        {
            return [null];
        }
        var values = new List<T?>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            values.Add(parse(item) ?? throw new CommandLineError($"--{name}: '{item}' is not a valid value"));
        }
        return values.Count > 0 ? values : throw new CommandLineError($"--{name} needs at least one value");
    }
}
