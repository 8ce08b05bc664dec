using System.Text.Json;

namespace Platform.Inference.Generation;

/// <summary>
/// The part of a JSON Schema that structured output enforces (OpenAI's <c>response_format: json_schema</c>): objects
/// with their properties in the schema's order (each required one present, optional ones may be left out, no others),
/// arrays of one item schema, strings (optionally an <c>enum</c> or <c>const</c>), numbers, integers, booleans, null,
/// a list of types (<c>["string", "null"]</c>), <c>anyOf</c> whose branches start differently, <c>$ref</c> into
/// <c>$defs</c>, string <c>minLength</c>/<c>maxLength</c>, array <c>minItems</c>/<c>maxItems</c>, integer
/// and number <c>minimum</c>/<c>maximum</c> (and their exclusive forms), and <c>{}</c> for any value. Keywords that would
/// constrain a value in ways not enforced here (<c>pattern</c>, <c>format</c>, bounds under a list of types, …) are refused by
/// <see cref="Compile"/>, not ignored.
/// </summary>
public abstract class JsonSchemaNode
{
    private static readonly HashSet<string> Descriptive = new(StringComparer.Ordinal)
    {
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "$defs", "definitions", "strict",
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref",
        "minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    };

    private static readonly string[] NumericBounds = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

    /// <summary>An object of any keys and values: JSON mode's whole output.</summary>
    public static JsonSchemaNode AnyObject { get; } = new Object([], free: true);

    /// <summary>The first characters a value of this schema can start with.</summary>
    internal abstract string Starts { get; }

    /// <summary>Compiles <paramref name="schema"/>; throws <see cref="SamplingParameterException"/> naming what is not supported.</summary>
    public static JsonSchemaNode Compile(JsonElement schema) => new Compiler(schema).Node(schema, "schema");

    /// <summary>Any JSON value.</summary>
    internal sealed class Any : JsonSchemaNode
    {
        public static readonly Any Instance = new();

        internal override string Starts => "{[\"-0123456789tfn";
    }

    /// <summary>An object: properties in order, and whether each is required; without any (Free), an object of any keys.</summary>
    internal sealed class Object(IReadOnlyList<(string Name, JsonSchemaNode Value, bool Required)> properties, bool free = false) : JsonSchemaNode
    {
        public IReadOnlyList<(string Name, JsonSchemaNode Value, bool Required)> Properties { get; } = properties;

        public bool Free { get; } = free;

        internal override string Starts => "{";
    }

    /// <summary>An array of <see cref="Items"/>, with between <see cref="MinItems"/> and <see cref="MaxItems"/> of them.</summary>
    internal sealed class Array(JsonSchemaNode items, int minItems = 0, int maxItems = int.MaxValue) : JsonSchemaNode
    {
        public JsonSchemaNode Items { get; } = items;

        public int MinItems { get; } = minItems;

        public int MaxItems { get; } = maxItems;

        internal override string Starts => "[";
    }

    /// <summary>
    /// A string, one of <see cref="Enum"/> when set (values without characters that need escaping), else of between
    /// <see cref="MinLength"/> and <see cref="MaxLength"/> characters (an escape sequence is one).
    /// </summary>
    internal sealed class String(IReadOnlyList<string>? values, int minLength = 0, int maxLength = int.MaxValue) : JsonSchemaNode
    {
        public IReadOnlyList<string>? Enum { get; } = values;

        public int MinLength { get; } = minLength;

        public int MaxLength { get; } = maxLength;

        internal override string Starts => "\"";
    }

    /// <summary>
    /// A number, or an integer; an integer may be bounded to [<see cref="Minimum"/>, <see cref="Maximum"/>], a number to
    /// <see cref="Range"/> (then written without an exponent, so its value can be followed digit by digit).
    /// </summary>
    internal sealed class Number(bool integer, long minimum = long.MinValue, long maximum = long.MaxValue, DecimalRange? range = null)
        : JsonSchemaNode
    {
        public bool Integer { get; } = integer;

        public DecimalRange? Range { get; } = range;

        public long Minimum { get; } = minimum;

        public long Maximum { get; } = maximum;

        /// <summary>Whether the value is bounded (then the text's value so far is tracked).</summary>
        public bool Bounded => Minimum != long.MinValue || Maximum != long.MaxValue;

        internal override string Starts =>
            (Bounded && Minimum >= 0) || Range is { Low: >= 0 } ? "0123456789" : "-0123456789";

        /// <summary>
        /// Whether an integer whose digits so far spell <paramref name="value"/> (not 0, which takes no more digits) can
        /// still end within the bounds: as itself, or with k more digits, anywhere in
        /// [value·10^k, value·10^k + 10^k − 1] (mirrored for a negative value).
        /// </summary>
        public bool Reachable(long value)
        {
            Int128 scale = 1;
            for (var k = 0; k <= 19; k++, scale *= 10)
            {
                Int128 low = value >= 0 ? value * scale : value * scale - (scale - 1), high = value >= 0 ? value * scale + (scale - 1) : value * scale;
                if (low <= Maximum && high >= Minimum)
                {
                    return true;
                }
                if (value >= 0 ? low > Maximum : high < Minimum)
                {
                    return false;
                }
            }
            return false;
        }
    }

    /// <summary>true/false, null, or both kinds.</summary>
    internal sealed class Literal(IReadOnlyList<string> words) : JsonSchemaNode
    {
        public IReadOnlyList<string> Words { get; } = words;

        internal override string Starts => string.Concat(Words.Select(w => w[0]).Distinct());
    }

    /// <summary>One of several schemas, told apart by their first character.</summary>
    internal sealed class Union(IReadOnlyList<JsonSchemaNode> options) : JsonSchemaNode
    {
        public IReadOnlyList<JsonSchemaNode> Options { get; } = options;

        internal override string Starts => string.Concat(Options.Select(o => o.Starts));
    }

    /// <summary>A <c>$ref</c>, resolved on first use so a schema may refer to itself.</summary>
    internal sealed class Reference(Func<JsonSchemaNode> target) : JsonSchemaNode
    {
        private JsonSchemaNode? _target;

        public JsonSchemaNode Target => _target ??= target();

        internal override string Starts => Target.Starts;
    }

    /// <summary>Most values an enum may list.</summary>
    public const int MaxEnum = 256;

    private sealed class Compiler(JsonElement root)
    {
        private readonly Dictionary<string, JsonSchemaNode> _defs = new(StringComparer.Ordinal);
        private int _depth;

        public JsonSchemaNode Node(JsonElement schema, string path)
        {
            if (schema.ValueKind == JsonValueKind.True)
            {
                return Any.Instance;
            }
            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw Refuse(path, "must be an object");
            }
            if (++_depth > 64)
            {
                throw Refuse(path, "nests deeper than 64 levels");
            }
            try
            {
                foreach (var keyword in schema.EnumerateObject())
                {
                    if (!Descriptive.Contains(keyword.Name))
                    {
                        throw Refuse(path, $"uses '{keyword.Name}', which is not supported (supported: type, properties, required, items, enum, const, anyOf, $ref, $defs, length, item and numeric bounds)");
                    }
                }
                // Numeric bounds are enforced only where the value is certainly a number (an integer; a number refuses them).
                if (NumericBounds.FirstOrDefault(k => schema.TryGetProperty(k, out _)) is { } bound
                    && !(schema.TryGetProperty("type", out var kind) && kind.ValueKind == JsonValueKind.String && kind.GetString() is "integer" or "number"))
                {
                    throw Refuse(path, $"uses '{bound}' without \"type\": \"integer\" or \"number\", which is not supported");
                }
                if (schema.TryGetProperty("$ref", out var reference))
                {
                    return Ref(reference, path);
                }
                if (schema.TryGetProperty("enum", out var values) || schema.TryGetProperty("const", out values))
                {
                    return Enum(values.ValueKind == JsonValueKind.Array ? [.. values.EnumerateArray()] : [values], path);
                }
                if (schema.TryGetProperty("anyOf", out var anyOf))
                {
                    return Distinct(anyOf.ValueKind == JsonValueKind.Array ? [.. anyOf.EnumerateArray().Select((o, i) => Node(o, $"{path}.anyOf[{i}]"))] : throw Refuse(path, "anyOf must be a list"), path);
                }
                if (!schema.TryGetProperty("type", out var type))
                {
                    return schema.TryGetProperty("properties", out _) ? Typed("object", schema, path) : Any.Instance;
                }
                if (type.ValueKind == JsonValueKind.Array)
                {
                    return Distinct([.. type.EnumerateArray().Select(t => Typed(t.GetString() ?? "", schema, path))], path);
                }
                return Typed(type.GetString() ?? "", schema, path);
            }
            finally
            {
                _depth--;
            }
        }

        private JsonSchemaNode Typed(string type, JsonElement schema, string path) => type switch
        {
            "object" => Object(schema, path),
            "array" => new Array(schema.TryGetProperty("items", out var items) ? Node(items, path + ".items") : Any.Instance,
                Bound(schema, "minItems", 0, path), Bound(schema, "maxItems", int.MaxValue, path, "minItems")),
            "string" => new String(null, Bound(schema, "minLength", 0, path), Bound(schema, "maxLength", int.MaxValue, path, "minLength")),
            "number" => Decimal(schema, path),
            "integer" => Integer(schema, path),
            "boolean" => new Literal(["true", "false"]),
            "null" => new Literal(["null"]),
            _ => throw Refuse(path, $"has type '{type}', which is not one of object, array, string, number, integer, boolean, null"),
        };

        private Object Object(JsonElement schema, string path)
        {
            var required = schema.TryGetProperty("required", out var names) && names.ValueKind == JsonValueKind.Array
                ? names.EnumerateArray().Select(n => n.GetString()).OfType<string>().ToHashSet(StringComparer.Ordinal)
                : [];
            var properties = new List<(string, JsonSchemaNode, bool)>();
            if (schema.TryGetProperty("properties", out var declared) && declared.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in declared.EnumerateObject())
                {
                    PlainText(property.Name, path + ".properties");
                    properties.Add((property.Name, Node(property.Value, $"{path}.properties.{property.Name}"), required.Contains(property.Name)));
                }
            }
            var missing = required.FirstOrDefault(r => !properties.Any(p => p.Item1 == r));
            return missing is not null ? throw Refuse(path, $"requires '{missing}', which is not among its properties")
                : new Object(properties, free: !schema.TryGetProperty("properties", out _));
        }

        // Inclusive integer bounds from minimum/maximum and their exclusive forms (a fractional bound rounds inward).
        private static decimal? ReadBound(JsonElement schema, string keyword, string path)
        {
            if (!schema.TryGetProperty(keyword, out var value))
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var bound) && Math.Abs(bound) < 1e18m
                ? bound : throw Refuse(path, $"has {keyword} that is not a number within ±10^18");
        }

        // A number's bounds as given (the tighter of a bound and its exclusive form); none leaves it unbounded.
        private static Number Decimal(JsonElement schema, string path)
        {
            if (!NumericBounds.Any(k => schema.TryGetProperty(k, out _)))
            {
                return new Number(integer: false);
            }
            (decimal?, bool) Tighter(decimal? inclusive, decimal? exclusive, bool lower) =>
                inclusive is not { } i ? (exclusive, exclusive is not null)
                : exclusive is not { } e ? (i, false)
                : lower ? (e >= i ? (e, true) : (i, false)) : (e <= i ? (e, true) : (i, false));
            var (low, lowOpen) = Tighter(ReadBound(schema, "minimum", path), ReadBound(schema, "exclusiveMinimum", path), lower: true);
            var (high, highOpen) = Tighter(ReadBound(schema, "maximum", path), ReadBound(schema, "exclusiveMaximum", path), lower: false);
            return low > high || (low == high && (lowOpen || highOpen))
                ? throw Refuse(path, "has bounds that no number meets")
                : new Number(integer: false, range: new DecimalRange(low, lowOpen, high, highOpen));
        }

        private static Number Integer(JsonElement schema, string path)
        {
            decimal? Read(string keyword) => ReadBound(schema, keyword, path);
            long low = long.MinValue, high = long.MaxValue;
            if (Read("minimum") is { } minimum)
            {
                low = Math.Max(low, (long)Math.Ceiling(minimum));
            }
            if (Read("exclusiveMinimum") is { } above)
            {
                low = Math.Max(low, (long)Math.Floor(above) + 1);
            }
            if (Read("maximum") is { } maximum)
            {
                high = Math.Min(high, (long)Math.Floor(maximum));
            }
            if (Read("exclusiveMaximum") is { } below)
            {
                high = Math.Min(high, (long)Math.Ceiling(below) - 1);
            }
            return low > high ? throw Refuse(path, "has bounds that no integer meets") : new Number(integer: true, low, high);
        }

        // A count bound; an upper bound below its lower one (named by atLeast) would accept nothing.
        private static int Bound(JsonElement schema, string keyword, int absent, string path, string? atLeast = null)
        {
            if (!schema.TryGetProperty(keyword, out var value))
            {
                return absent;
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var bound) || bound < 0)
            {
                throw Refuse(path, $"has {keyword} that is not a non-negative integer");
            }
            return atLeast is not null && bound < Bound(schema, atLeast, 0, path)
                ? throw Refuse(path, $"has {keyword} below its {atLeast}, which no value meets") : bound;
        }

        private JsonSchemaNode Enum(IReadOnlyList<JsonElement> values, string path)
        {
            if (values.Count == 0 || values.Any(v => v.ValueKind != JsonValueKind.String))
            {
                throw Refuse(path, "has an enum or const that is not a non-empty list of strings (only string enums are supported)");
            }
            if (values.Count > MaxEnum)
            {
                throw Refuse(path, $"has an enum of {values.Count} values; at most {MaxEnum} are supported (each step checks every token against them)");
            }
            var strings = values.Select(v => v.GetString()!).ToList();
            strings.ForEach(s => PlainText(s, path + ".enum"));
            return new String(strings);
        }

        private JsonSchemaNode Ref(JsonElement reference, string path)
        {
            var target = reference.GetString() ?? "";
            var name = target.StartsWith("#/$defs/", StringComparison.Ordinal) ? target["#/$defs/".Length..]
                : target.StartsWith("#/definitions/", StringComparison.Ordinal) ? target["#/definitions/".Length..] : null;
            if (target == "#")
            {
                return new Reference(() => _defs.TryGetValue("#", out var self) ? self : _defs["#"] = Node(root, "schema"));
            }
            if (name is null || !(root.TryGetProperty("$defs", out var defs) || root.TryGetProperty("definitions", out defs))
                || !defs.TryGetProperty(name, out var definition))
            {
                throw Refuse(path, $"refers to '{target}', which is not in this schema's $defs");
            }
            return new Reference(() => _defs.TryGetValue(name, out var known) ? known : _defs[name] = Node(definition, target));
        }

        private static JsonSchemaNode Distinct(IReadOnlyList<JsonSchemaNode> options, string path)
        {
            var starts = options.SelectMany(o => o.Starts).ToList();
            return starts.Count == starts.Distinct().Count() ? new Union(options)
                : throw Refuse(path, "has alternatives that can start with the same character (only alternatives of different kinds are supported)");
        }

        private static void PlainText(string text, string path)
        {
            if (text.Length == 0 || text.Any(c => c is '"' or '\\' || c < ' '))
            {
                throw Refuse(path, $"has the name or value '{text}', which is empty or needs escaping (not supported)");
            }
        }

        private static SamplingParameterException Refuse(string path, string problem) => new("response_format", $"json_schema: {path} {problem}");
    }
}
