namespace Platform.Inference.Generation;

/// <summary>
/// A JSON text (RFC 8259) being written one character at a time against a <see cref="JsonSchemaNode"/>: whether it
/// can still become a value that the schema accepts. <see cref="Step"/> returns the state after a character, or null
/// when no continuation could make the text acceptable; a state is a small value, so trying a token from a state leaves
/// that state as it was. Whitespace between tokens is what llama.cpp's JSON grammar allows, one space or a newline and
/// up to <see cref="MaxIndent"/> spaces or tabs, so a model cannot pad forever (small models otherwise spend their
/// whole budget on newlines). Against the schema: an object's keys
/// come from its properties in order (a required one cannot be skipped, the object closes only once every required
/// one is written; an object schema without properties takes any keys), strings of an enum spell one of its values, integers have no fraction or exponent, and a
/// union's branch is picked by the value's first character.
/// </summary>
public readonly record struct JsonSchemaPrefix
{
    /// <summary>Most spaces or tabs after a newline between two tokens of the JSON text.</summary>
    public const int MaxIndent = 20;

    private enum Mode : byte
    {
        Value, ValueOrClose, KeyOrClose, Key, Colon, AfterValue,
        SchemaKey, String, Escape, Unicode, EnumString,
        Minus, Zero, Integer, Dot, Fraction, Exponent, ExponentSign, ExponentDigits,
        Literal, Done,
    }

    /// <summary>
    /// An open object (Properties null: any keys) or array, innermost first. Next is an object's first property not yet
    /// passed, or an array's count of values begun; an array holds between MinItems and MaxItems of them.
    /// </summary>
    private sealed record Frame(bool IsObject, JsonSchemaNode.Object? Properties, JsonSchemaNode? Items, int Next, Frame? Parent,
        int MinItems = 0, int MaxItems = int.MaxValue);

    private readonly Mode _mode;
    private readonly Frame? _open;
    private readonly JsonSchemaNode? _node; // Value: the schema to start; EnumString: the string schema; Colon: the property's schema
    private readonly string? _matched;      // SchemaKey, EnumString, Literal: what is written so far
    private readonly IReadOnlyList<string>? _words; // Literal: the words it may spell
    private readonly bool _flag;            // String/Escape/Unicode: a free object's key; numbers: an integer
    private readonly byte _aux;             // Unicode: hex digits left
    private readonly byte _whitespace;
    private readonly int _length;           // String/Escape/Unicode of a schema with a length bound: characters written
    private readonly long _value;           // Minus/Zero/Integer of a bounded integer (_node): the value so far
    private readonly decimal _magnitude;    // a bounded number (_node with a Range): the digits so far, without the sign
    private readonly bool _negative;        // a bounded number: written with a minus
    private readonly byte _fractionDigits;  // a bounded number: digits after the point

    private JsonSchemaPrefix(Mode mode, Frame? open, JsonSchemaNode? node = null, string? matched = null, IReadOnlyList<string>? words = null,
        bool flag = false, byte aux = 0, byte whitespace = 0, int length = 0, long value = 0,
        decimal magnitude = 0, bool negative = false, byte fractionDigits = 0)
    {
        _length = length;
        _value = value;
        _magnitude = magnitude;
        _negative = negative;
        _fractionDigits = fractionDigits;
        _mode = mode;
        _open = open;
        _node = node;
        _matched = matched;
        _words = words;
        _flag = flag;
        _aux = aux;
        _whitespace = whitespace;
    }

    /// <summary>Nothing written yet; the text must be a value of <paramref name="schema"/>.</summary>
    public static JsonSchemaPrefix For(JsonSchemaNode schema) => new(Mode.Value, null, schema);

    /// <summary>Nothing written yet; the text must be one JSON object (JSON mode).</summary>
    public static JsonSchemaPrefix Object => For(JsonSchemaNode.AnyObject);

    /// <summary>Whether the text may end here (a number at the top may end where it stands, or go on).</summary>
    public bool IsComplete => _mode == Mode.Done
        || (_open is null && _mode is Mode.Zero or Mode.Integer or Mode.Fraction or Mode.ExponentDigits && WithinBounds);

    /// <summary>Whether a bounded integer's value so far lies within its bounds (true for any other number).</summary>
    private bool WithinBounds => _node switch
    {
        JsonSchemaNode.Number { Range: { } range } => range.Admits(_negative ? -_magnitude : _magnitude),
        JsonSchemaNode.Number { Bounded: true } bounded => _value >= bounded.Minimum && _value <= bounded.Maximum,
        _ => true,
    };

    /// <summary>The state after <paramref name="text"/>, or null if some character of it cannot come next.</summary>
    public JsonSchemaPrefix? Step(string text)
    {
        JsonSchemaPrefix? state = this;
        foreach (var c in text)
        {
            state = state.Value.Step(c);
            if (state is null)
            {
                return null;
            }
        }
        return state;
    }

    /// <summary>The state after <paramref name="c"/>, or null if it cannot come next.</summary>
    public JsonSchemaPrefix? Step(char c)
    {
        switch (_mode)
        {
            case Mode.Value:
                return Begin(_node!, c) ?? Space(c);
            case Mode.ValueOrClose:
                if (c == ']')
                {
                    return _open!.MinItems == 0 ? Close() : null;
                }
                return Space(c) ?? (_open!.MaxItems >= 1 ? new JsonSchemaPrefix(Mode.Value, _open with { Next = 1 }).Begin(_open.Items!, c) : null);
            case Mode.KeyOrClose:
                return c == '}' && CanClose(_open!) ? Close() : c == '"' ? OpenKey() : Space(c);
            case Mode.Key:
                return c == '"' ? OpenKey() : Space(c);
            case Mode.Colon:
                return c == ':' ? new(Mode.Value, _open, _node) : Space(c);
            case Mode.AfterValue:
                return _open!.IsObject
                    ? c == ',' && (_open.Properties is null || _open.Next < _open.Properties.Properties.Count) ? new(Mode.Key, _open)
                        : c == '}' && CanClose(_open) ? Close() : Space(c)
                    : c == ',' ? (_open.Next < _open.MaxItems ? new(Mode.Value, _open with { Next = _open.Next + 1 }, _open.Items) : null)
                    : c == ']' ? (_open.Next >= _open.MinItems ? Close() : null) : Space(c);
            case Mode.SchemaKey:
                return KeyCharacter(c);
            case Mode.String:
                return c switch
                {
                    '"' => _flag ? new(Mode.Colon, _open, JsonSchemaNode.Any.Instance)
                        : _length >= ((_node as JsonSchemaNode.String)?.MinLength ?? 0) ? AfterValue(_open) : null,
                    '\\' => Fits() ? new(Mode.Escape, _open, _node, flag: _flag, length: _length) : null,
                    < ' ' => null,
                    _ => !Fits() ? null : _node is null ? this : new(Mode.String, _open, _node, length: _length + 1),
                };
            case Mode.Escape:
                return c == 'u' ? new(Mode.Unicode, _open, _node, flag: _flag, aux: 4, length: _length)
                    : "\"\\/bfnrt".Contains(c) ? Written() : null;
            case Mode.Unicode:
                return !char.IsAsciiHexDigit(c) ? null
                    : _aux == 1 ? Written() : new(Mode.Unicode, _open, _node, flag: _flag, aux: (byte)(_aux - 1), length: _length);
            case Mode.EnumString:
                var values = ((JsonSchemaNode.String)_node!).Enum!;
                if (c == '"')
                {
                    return values.Contains(_matched!) ? AfterValue(_open) : null;
                }
                var longer = _matched + c;
                return values.Any(v => v.StartsWith(longer, StringComparison.Ordinal)) ? new(Mode.EnumString, _open, _node, longer) : null;
            case Mode.Minus or Mode.Zero or Mode.Integer or Mode.Dot or Mode.Fraction when _node is JsonSchemaNode.Number { Range: { } range }:
                return Decimal(range, c);
            case Mode.Minus when _node is JsonSchemaNode.Number bounded:
                // A bounded integer: no "-0", and only digits that can still end within the bounds.
                return c is >= '1' and <= '9' ? Digits(bounded, -(c - '0')) : null;
            case Mode.Minus:
                return c == '0' ? Numeric(Mode.Zero) : c is >= '1' and <= '9' ? Numeric(Mode.Integer) : null;
            case Mode.Zero:
                return c == '.' && !_flag ? Numeric(Mode.Dot) : c is 'e' or 'E' && !_flag ? Numeric(Mode.Exponent) : EndNumber(c);
            case Mode.Integer when _node is JsonSchemaNode.Number bounded:
                return char.IsAsciiDigit(c)
                    ? Math.Abs(_value) < long.MaxValue / 10 - 9 ? Digits(bounded, _value * 10 + (_value < 0 ? -(c - '0') : c - '0')) : null
                    : EndNumber(c);
            case Mode.Integer:
                return char.IsAsciiDigit(c) ? this : c == '.' && !_flag ? Numeric(Mode.Dot) : c is 'e' or 'E' && !_flag ? Numeric(Mode.Exponent) : EndNumber(c);
            case Mode.Dot:
                return char.IsAsciiDigit(c) ? Numeric(Mode.Fraction) : null;
            case Mode.Fraction:
                return char.IsAsciiDigit(c) ? this : c is 'e' or 'E' ? Numeric(Mode.Exponent) : EndNumber(c);
            case Mode.Exponent:
                return c is '+' or '-' ? Numeric(Mode.ExponentSign) : char.IsAsciiDigit(c) ? Numeric(Mode.ExponentDigits) : null;
            case Mode.ExponentSign:
                return char.IsAsciiDigit(c) ? Numeric(Mode.ExponentDigits) : null;
            case Mode.ExponentDigits:
                return char.IsAsciiDigit(c) ? this : EndNumber(c);
            case Mode.Literal:
                var word = _matched + c;
                if (!_words!.Any(w => w.StartsWith(word, StringComparison.Ordinal)))
                {
                    return null;
                }
                return _words!.Contains(word) ? AfterValue(_open) : new(Mode.Literal, _open, matched: word, words: _words);
            default:
                return null; // Done: nothing may follow the value.
        }
    }

    private JsonSchemaPrefix? Begin(JsonSchemaNode node, char c)
    {
        switch (node)
        {
            case JsonSchemaNode.Reference reference:
                return Begin(reference.Target, c);
            case JsonSchemaNode.Union union:
                var option = union.Options.FirstOrDefault(o => o.Starts.Contains(c));
                return option is null ? null : Begin(option, c);
            case JsonSchemaNode.Object obj when c == '{':
                return new(Mode.KeyOrClose, new Frame(true, obj.Free ? null : obj, null, 0, _open));
            case JsonSchemaNode.Array array when c == '[':
                return new(Mode.ValueOrClose, new Frame(false, null, array.Items, 0, _open, array.MinItems, array.MaxItems));
            case JsonSchemaNode.String { Enum: null } text when c == '"':
                // Only a bounded string counts its characters, so an unbounded one keeps one state (and one cached mask).
                return new(Mode.String, _open, text.MinLength > 0 || text.MaxLength < int.MaxValue ? text : null);
            case JsonSchemaNode.String text when c == '"':
                return new(Mode.EnumString, _open, text, "");
            case JsonSchemaNode.Number { Range: { } range } number:
                return c == '-' ? Written(number, range, DecimalRange.Shape.Sign, Mode.Minus, 0, negative: true, 0)
                    : new JsonSchemaPrefix(Mode.Minus, _open, number).Decimal(range, c, signed: false);
            case JsonSchemaNode.Number { Bounded: true } bounded:
                return c == '-' ? (bounded.Minimum <= -1 ? new(Mode.Minus, _open, bounded, flag: true) : null)
                    : c == '0' ? (bounded.Minimum <= 0 && bounded.Maximum >= 0 ? new(Mode.Zero, _open, bounded, flag: true) : null)
                    : c is >= '1' and <= '9' ? Digits(bounded, c - '0') : null;
            case JsonSchemaNode.Number number:
                var integer = number.Integer;
                return c == '-' ? new(Mode.Minus, _open, flag: integer) : c == '0' ? new(Mode.Zero, _open, flag: integer)
                    : c is >= '1' and <= '9' ? new(Mode.Integer, _open, flag: integer) : null;
            case JsonSchemaNode.Literal literal:
                return new JsonSchemaPrefix(Mode.Literal, _open, matched: "", words: literal.Words).Step(c);
            case JsonSchemaNode.Any:
                return c switch
                {
                    '{' => new(Mode.KeyOrClose, new Frame(true, null, null, 0, _open)),
                    '[' => new(Mode.ValueOrClose, new Frame(false, null, JsonSchemaNode.Any.Instance, 0, _open)),
                    '"' => new(Mode.String, _open),
                    '-' or (>= '0' and <= '9') => Begin(AnyNumber, c),
                    't' or 'f' or 'n' => Begin(AnyLiteral, c),
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static readonly JsonSchemaNode AnyNumber = new JsonSchemaNode.Number(integer: false);
    private static readonly JsonSchemaNode AnyLiteral = new JsonSchemaNode.Literal(["true", "false", "null"]);

    private JsonSchemaPrefix Numeric(Mode mode) => new(mode, _open, flag: _flag);

    // A bounded number's next character: digits, one point, no exponent, each only if some value within the bounds
    // can still be written on from it (signed: false when the text is still empty, so no minus has been written).
    private JsonSchemaPrefix? Decimal(DecimalRange range, char c, bool signed = true)
    {
        var number = (JsonSchemaNode.Number)_node!;
        var negative = signed && _negative;
        switch (_mode)
        {
            case Mode.Minus:
                return c == '0' ? Written(number, range, DecimalRange.Shape.Zero, Mode.Zero, 0, negative, 0)
                    : c is >= '1' and <= '9' ? Written(number, range, DecimalRange.Shape.Whole, Mode.Integer, c - '0', negative, 0) : null;
            case Mode.Zero or Mode.Integer:
                if (char.IsAsciiDigit(c) && _mode == Mode.Integer)
                {
                    return _magnitude < 1e17m ? Written(number, range, DecimalRange.Shape.Whole, Mode.Integer, _magnitude * 10 + (c - '0'), negative, 0) : null;
                }
                return c == '.' ? Written(number, range, DecimalRange.Shape.Fraction, Mode.Dot, _magnitude, negative, 0)
                    : c is 'e' or 'E' || char.IsAsciiDigit(c) ? null : EndNumber(c);
            case Mode.Dot or Mode.Fraction:
                if (char.IsAsciiDigit(c))
                {
                    var digits = (byte)(_fractionDigits + 1);
                    return digits <= 18
                        ? Written(number, range, DecimalRange.Shape.Fraction, Mode.Fraction, _magnitude + (c - '0') * DecimalRange.Step(digits), negative, digits)
                        : null;
                }
                return _mode == Mode.Fraction && c is not ('e' or 'E') ? EndNumber(c) : null;
            default:
                return null;
        }
    }

    private JsonSchemaPrefix? Written(JsonSchemaNode.Number number, DecimalRange range, DecimalRange.Shape shape, Mode mode, decimal magnitude,
        bool negative, byte fractionDigits) =>
        range.Reachable(negative, magnitude, fractionDigits, shape)
            ? new(mode, _open, number, magnitude: magnitude, negative: negative, fractionDigits: fractionDigits)
            : null;

    // A bounded integer's digits so far spell value: a state if it can still end within the bounds.
    private JsonSchemaPrefix? Digits(JsonSchemaNode.Number bounded, long value) =>
        bounded.Reachable(value) ? new(Mode.Integer, _open, bounded, flag: true, value: value) : null;

    // Whether a bounded string has room for one more character.
    private bool Fits() => _length < ((_node as JsonSchemaNode.String)?.MaxLength ?? int.MaxValue);

    // An escape sequence is complete: one more character of the string.
    private JsonSchemaPrefix Written() => new(Mode.String, _open, _node, flag: _flag, length: _node is null ? 0 : _length + 1);

    // A key: any string in an object without properties, else one of the properties from Next up to the first required one.
    private JsonSchemaPrefix? OpenKey() =>
        _open!.Properties is null ? new(Mode.String, _open, flag: true)
        : Candidates(_open).Any() ? new(Mode.SchemaKey, _open, matched: "") : null;

    private static IEnumerable<(int Index, string Name, JsonSchemaNode Value)> Candidates(Frame frame)
    {
        var properties = frame.Properties!.Properties;
        for (var i = frame.Next; i < properties.Count; i++)
        {
            yield return (i, properties[i].Name, properties[i].Value);
            if (properties[i].Required)
            {
                yield break;
            }
        }
    }

    private JsonSchemaPrefix? KeyCharacter(char c)
    {
        if (c == '"')
        {
            foreach (var (index, name, value) in Candidates(_open!))
            {
                if (name == _matched)
                {
                    return new(Mode.Colon, _open! with { Next = index + 1 }, value);
                }
            }
            return null;
        }
        var longer = _matched + c;
        return Candidates(_open!).Any(p => p.Name.StartsWith(longer, StringComparison.Ordinal)) ? new(Mode.SchemaKey, _open, matched: longer) : null;
    }

    private static bool CanClose(Frame frame) =>
        frame.Properties is null || !frame.Properties.Properties.Skip(frame.Next).Any(p => p.Required);

    private JsonSchemaPrefix Close() => AfterValue(_open!.Parent);

    private static JsonSchemaPrefix AfterValue(Frame? open) => open is null ? new(Mode.Done, null) : new(Mode.AfterValue, open);

    // A number ends at the first character that cannot continue it, which then counts as the one after the value.
    private JsonSchemaPrefix? EndNumber(char c) => WithinBounds ? AfterValue(_open).Step(c) : null;

    private JsonSchemaPrefix? Space(char c)
    {
        byte next = (_whitespace, c) switch
        {
            (0, ' ') => 1,
            (0, '\n') => 2,
            ( >= 2 and < 2 + MaxIndent, ' ' or '\t') => (byte)(_whitespace + 1),
            _ => 0,
        };
        return next == 0 ? null : new(_mode, _open, _node, _matched, _words, _flag, _aux, next);
    }
}
