namespace Platform.Inference.Generation;

/// <summary>
/// A JSON text being written one character at a time, and whether it can still become one JSON object (RFC 8259,
/// with an object at the top as OpenAI's JSON mode asks). <see cref="Step"/> returns the state after a character, or
/// null when no continuation could make the text valid JSON; a state is a small value, so trying a token from a state
/// leaves that state as it was. Whitespace between tokens is what llama.cpp's JSON grammar allows, one space or a
/// newline and up to <see cref="MaxIndent"/> spaces or tabs, so a model cannot pad forever (small models otherwise
/// spend their whole budget on newlines).
/// </summary>
public readonly record struct JsonPrefix : IPrefixState<JsonPrefix>
{
    /// <summary>Most spaces or tabs after a newline between two tokens of the JSON text.</summary>
    public const int MaxIndent = 20;

    private static readonly string[] Literals = ["true", "false", "null"];

    private enum Mode : byte
    {
        Start, Value, ValueOrClose, KeyOrClose, Key, Colon, CommaOrClose,
        String, Escape, Unicode,
        Minus, Zero, Integer, Dot, Fraction, Exponent, ExponentSign, ExponentDigits,
        Literal, Done,
    }

    /// <summary>An open object or array, innermost first.</summary>
    private sealed record Frame(bool IsObject, Frame? Parent);

    private readonly Mode _mode;
    private readonly Frame? _open;
    private readonly bool _inKey;
    private readonly byte _aux; // Unicode: hex digits left; Literal: which literal (high nibble) and characters matched (low)
    private readonly byte _whitespace; // 0: none yet; 1: one space (no more); 2 + n: a newline and n spaces or tabs

    private JsonPrefix(Mode mode, Frame? open, bool inKey = false, byte aux = 0, byte whitespace = 0)
    {
        _mode = mode;
        _open = open;
        _inKey = inKey;
        _aux = aux;
        _whitespace = whitespace;
    }

    /// <summary>Nothing written yet; the text must be an object.</summary>
    public static JsonPrefix Object => new(Mode.Start, null);

    /// <summary>Whether the text is one whole JSON object (nothing may follow it).</summary>
    public bool IsComplete => _mode == Mode.Done;

    /// <summary>The state after <paramref name="text"/>, or null if some character of it cannot come next.</summary>
    public JsonPrefix? Step(string text)
    {
        JsonPrefix? state = this;
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
    public JsonPrefix? Step(char c)
    {
        switch (_mode)
        {
            case Mode.Start:
                return c == '{' ? Open(isObject: true) : Space(c);
            case Mode.Value:
                return BeginValue(c) ?? Space(c);
            case Mode.ValueOrClose:
                return c == ']' ? Close() : BeginValue(c) ?? Space(c);
            case Mode.KeyOrClose:
                return c == '}' ? Close() : c == '"' ? new(Mode.String, _open, inKey: true) : Space(c);
            case Mode.Key:
                return c == '"' ? new(Mode.String, _open, inKey: true) : Space(c);
            case Mode.Colon:
                return c == ':' ? new(Mode.Value, _open) : Space(c);
            case Mode.CommaOrClose:
                if (c == ',')
                {
                    return new(_open!.IsObject ? Mode.Key : Mode.Value, _open);
                }
                return (c == '}' && _open!.IsObject) || (c == ']' && !_open!.IsObject) ? Close() : Space(c);
            case Mode.String:
                return c switch
                {
                    '"' => _inKey ? new(Mode.Colon, _open) : AfterValue(_open),
                    '\\' => new(Mode.Escape, _open, _inKey),
                    < ' ' => null,
                    _ => this,
                };
            case Mode.Escape:
                return c == 'u' ? new(Mode.Unicode, _open, _inKey, 4)
                    : "\"\\/bfnrt".Contains(c) ? new(Mode.String, _open, _inKey) : null;
            case Mode.Unicode:
                return !char.IsAsciiHexDigit(c) ? null
                    : _aux == 1 ? new(Mode.String, _open, _inKey) : new(Mode.Unicode, _open, _inKey, (byte)(_aux - 1));
            case Mode.Minus:
                return c == '0' ? new(Mode.Zero, _open) : c is >= '1' and <= '9' ? new(Mode.Integer, _open) : null;
            case Mode.Zero:
                return c == '.' ? new(Mode.Dot, _open) : c is 'e' or 'E' ? new(Mode.Exponent, _open) : EndNumber(c);
            case Mode.Integer:
                return char.IsAsciiDigit(c) ? this : c == '.' ? new(Mode.Dot, _open) : c is 'e' or 'E' ? new(Mode.Exponent, _open) : EndNumber(c);
            case Mode.Dot:
                return char.IsAsciiDigit(c) ? new(Mode.Fraction, _open) : null;
            case Mode.Fraction:
                return char.IsAsciiDigit(c) ? this : c is 'e' or 'E' ? new(Mode.Exponent, _open) : EndNumber(c);
            case Mode.Exponent:
                return c is '+' or '-' ? new(Mode.ExponentSign, _open) : char.IsAsciiDigit(c) ? new(Mode.ExponentDigits, _open) : null;
            case Mode.ExponentSign:
                return char.IsAsciiDigit(c) ? new(Mode.ExponentDigits, _open) : null;
            case Mode.ExponentDigits:
                return char.IsAsciiDigit(c) ? this : EndNumber(c);
            case Mode.Literal:
                var literal = Literals[_aux >> 4];
                var matched = _aux & 0xF;
                if (c != literal[matched])
                {
                    return null;
                }
                return matched + 1 == literal.Length ? AfterValue(_open) : new(Mode.Literal, _open, aux: (byte)(_aux + 1));
            default:
                return null; // Done: nothing may follow the object.
        }
    }

    private JsonPrefix? BeginValue(char c) => c switch
    {
        '{' => Open(isObject: true),
        '[' => Open(isObject: false),
        '"' => new(Mode.String, _open),
        '-' => new(Mode.Minus, _open),
        '0' => new(Mode.Zero, _open),
        >= '1' and <= '9' => new(Mode.Integer, _open),
        't' => new(Mode.Literal, _open, aux: 0x01),
        'f' => new(Mode.Literal, _open, aux: 0x11),
        'n' => new(Mode.Literal, _open, aux: 0x21),
        _ => null,
    };

    private JsonPrefix Open(bool isObject) => new(isObject ? Mode.KeyOrClose : Mode.ValueOrClose, new Frame(isObject, _open));

    private JsonPrefix Close() => AfterValue(_open!.Parent);

    private static JsonPrefix AfterValue(Frame? open) => open is null ? new(Mode.Done, null) : new(Mode.CommaOrClose, open);

    // A number ends at the first character that cannot continue it, which then counts as the one after the value.
    private JsonPrefix? EndNumber(char c) => AfterValue(_open).Step(c);

    private JsonPrefix? Space(char c)
    {
        byte next = (_whitespace, c) switch
        {
            (0, ' ') => 1,
            (0, '\n') => 2,
            ( >= 2 and < 2 + MaxIndent, ' ' or '\t') => (byte)(_whitespace + 1),
            _ => 0,
        };
        return next == 0 ? null : new(_mode, _open, _inKey, _aux, next);
    }
}
