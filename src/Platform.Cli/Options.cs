namespace Platform.Cli;

/// <summary>Minimal `--flag value` / `--switch` parsing shared by the commands.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private Options() { }

    public static Options Parse(string[] args, params string[] switches)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new CommandLineError($"unexpected argument '{arg}'; options look like --name value");
            }
            var eq = arg.IndexOf('=');
            if (eq > 0)
            {
                options._values[arg[2..eq]] = arg[(eq + 1)..];
            }
            else if (switches.Contains(arg[2..]))
            {
                options._values[arg[2..]] = null;
            }
            else if (i + 1 < args.Length)
            {
                options._values[arg[2..]] = args[++i];
            }
            else
            {
                throw new CommandLineError($"option {arg} needs a value");
            }
        }
        return options;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) =>
        Get(name) ?? throw new CommandLineError($"missing required option --{name}");

    public int GetInt(string name, int fallback) => GetNumber(name, fallback, int.TryParse);

    public double GetDouble(string name, double fallback) => GetNumber(name, fallback, double.TryParse);

    private delegate bool TryParse<T>(string s, out T value);

    private T GetNumber<T>(string name, T fallback, TryParse<T> parse)
    {
        var raw = Get(name);
        if (raw is null)
        {
            return fallback;
        }
        return parse(raw, out var value)
            ? value
            : throw new CommandLineError($"--{name} must be a number, got '{raw}'");
    }
}
