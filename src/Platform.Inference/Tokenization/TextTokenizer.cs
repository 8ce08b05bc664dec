namespace Platform.Inference.Tokenization;

/// <summary>
/// Shared special-token handling: special tokens are cut out of the text before the underlying
/// model sees it, and decoded (or skipped) by id; plain runs go to the concrete tokenizer.
/// </summary>
public abstract class TextTokenizer : ITextTokenizer
{
    private readonly SpecialTokenSplitter _splitter;
    private readonly Dictionary<int, string> _specialById;

    /// <summary>Sets up special-token handling from <paramref name="settings"/>.</summary>
    protected TextTokenizer(TokenizerSettings settings)
    {
        Settings = settings;
        _splitter = new SpecialTokenSplitter(settings.SpecialTokens);
        _specialById = settings.SpecialTokens.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.First().Key);
    }

    /// <summary>The rules this tokenizer follows.</summary>
    protected TokenizerSettings Settings { get; }

    /// <inheritdoc />
    public abstract string Kind { get; }

    /// <inheritdoc />
    public int? BosTokenId => Settings.BosTokenId;

    /// <inheritdoc />
    public string? BosToken => Settings.BosToken;

    /// <inheritdoc />
    public IReadOnlyList<int> EosTokenIds => Settings.EosTokenIds;

    /// <inheritdoc />
    public bool AddBosToken => Settings.AddBos;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens => Settings.SpecialTokens;

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addSpecialTokens && Settings.AddBos && Settings.BosTokenId is { } bos)
        {
            ids.Add(bos);
        }
        foreach (var (segment, id) in _splitter.Split(text))
        {
            if (id is { } special)
            {
                ids.Add(special);
            }
            else
            {
                ids.AddRange(EncodePlain(segment));
            }
        }
        if (addSpecialTokens && Settings.AddEos && Settings.EosTokenIds.Count > 0)
        {
            ids.Add(Settings.EosTokenIds[0]);
        }
        return ids;
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = new System.Text.StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (_specialById.TryGetValue(id, out var special))
            {
                Flush();
                if (!skipSpecialTokens || !Settings.SkippedIds.Contains(id))
                {
                    text.Append(special);
                }
            }
            else
            {
                run.Add(id);
            }
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count > 0)
            {
                text.Append(DecodePlain(run, text.Length == 0));
                run.Clear();
            }
        }
    }

    /// <summary>Encodes text that contains no special tokens, without BOS/EOS.</summary>
    protected abstract IEnumerable<int> EncodePlain(string text);

    /// <summary>Decodes ids that contain no special tokens; <paramref name="atStart"/> says nothing precedes them.</summary>
    protected abstract string DecodePlain(IReadOnlyList<int> ids, bool atStart);
}
