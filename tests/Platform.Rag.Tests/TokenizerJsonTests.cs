using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Platform.Inference.Tokenization;
using Platform.LocalInfra;

namespace Platform.Rag.Tests;

/// <summary>The token budget counts with a model's tokenizer.json (byte-level BPE) or tokenizer.model (SentencePiece).</summary>
public sealed class TokenizerJsonTests : IDisposable
{
    private const int Begin = 300;
    private const int Eot = 301;
    private readonly string _models = Directory.CreateTempSubdirectory("rag-tokenizers-").FullName;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Theory]
    [InlineData("hello world")]
    [InlineData("hello world<|eot|>hello")]
    [InlineData("Sources:\n[1] park.txt\nLily has a red ball.\n\nWhat does Lily have?")]
    [InlineData("naïve café ☃, 12345 tokens!")]
    public void A_byte_level_tokenizer_json_counts_as_the_inference_engine_encodes(string text)
    {
        var folder = WriteByteLevelModel("tiny-bpe");
        var counter = ModelTokenCounter.ForModel(_models, "tiny-bpe:some-adapter");
        var engine = TokenizerFactory.FromModelDirectory(folder);

        Assert.IsType<ByteLevelBpeTokenCounter>(counter);
        Assert.Equal("tokenizer", counter.Kind);
        Assert.Equal(engine.Encode(text, addSpecialTokens: false).Count, counter.Count(text));
    }

    [Fact]
    public void Merges_and_added_tokens_count_as_one_token_each_and_unmerged_bytes_one_each()
    {
        WriteByteLevelModel("tiny-bpe");
        var counter = ModelTokenCounter.ForModel(_models, "tiny-bpe");
        Assert.Equal(2, counter.Count("hello world")); // "hello" and "Ġworld" are merged pieces
        Assert.Equal(3, counter.Count("hello world<|eot|>"));
        Assert.Equal(3, counter.Count("xyz")); // no merges: one byte each
        Assert.Equal(2, counter.Count("é")); // two UTF-8 bytes
    }

    [Fact]
    public void Tokenizer_json_is_preferred_when_byte_level_and_tokenizer_model_otherwise()
    {
        var folder = WriteByteLevelModel("both");
        var llama2 = Path.Combine(RepoLayout.Find().TestDataDir, "models", "llama2-tokenizer");
        File.Copy(Path.Combine(llama2, "tokenizer.model"), Path.Combine(folder, "tokenizer.model"));
        Assert.IsType<ByteLevelBpeTokenCounter>(ModelTokenCounter.ForModel(_models, "both"));

        // Llama 2's tokenizer.json is SentencePiece-style BPE (byte fallback, not byte-level): tokenizer.model counts.
        var sentencePiece = ModelTokenCounter.ForModel(Path.GetDirectoryName(llama2), "llama2-tokenizer");
        Assert.IsType<ModelTokenCounter>(sentencePiece);
        using var stream = File.OpenRead(Path.Combine(llama2, "tokenizer.model"));
        Assert.Equal(LlamaTokenizer.Create(stream).CountTokens("What does Lily have?"), sentencePiece.Count("What does Lily have?"));

        // Only a non-byte-level tokenizer.json, or a broken one: the documented estimate.
        var onlyJson = Directory.CreateDirectory(Path.Combine(_models, "only-json")).FullName;
        File.Copy(Path.Combine(llama2, "tokenizer.json"), Path.Combine(onlyJson, "tokenizer.json"));
        Assert.Equal("estimate", ModelTokenCounter.ForModel(_models, "only-json").Kind);
        var broken = Directory.CreateDirectory(Path.Combine(_models, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "tokenizer.json"), """{"model":{"type":"BPE","vocab":[1,2]},"decoder":{"type":"ByteLevel"}}""");
        Assert.Equal("estimate", ModelTokenCounter.ForModel(_models, "broken").Kind);
        File.WriteAllText(Path.Combine(broken, "tokenizer.json"), "{ not json");
        Assert.Equal("estimate", ModelTokenCounter.ForModel(_models, "broken").Kind);
    }

    /// <summary>A GPT-2-style byte-level BPE tokenizer.json: 256 byte symbols, a few merges, two added tokens.</summary>
    private string WriteByteLevelModel(string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_models, name)).FullName;
        var bytesToUnicode = BytesToUnicode();
        var vocab = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++)
        {
            vocab[bytesToUnicode[b].ToString()] = b;
        }
        var merges = new List<string> { "h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d" };
        foreach (var merge in merges)
        {
            vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = vocab.Count;
        }
        var json = new
        {
            version = "1.0",
            added_tokens = new[]
            {
                new { id = Begin, content = "<|begin|>", special = true },
                new { id = Eot, content = "<|eot|>", special = true },
            },
            normalizer = (object?)null,
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
                },
            },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab, merges },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token":"<|begin|>","eos_token":"<|eot|>"}""");
        return dir;
    }

    // GPT-2's reversible byte → printable character table.
    private static char[] BytesToUnicode()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }
}
