using System.Text.Json;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Tests;

public sealed class TokenizerTests
{
    private static readonly ITextTokenizer Stories = TokenizerFactory.FromModelDirectory(TestData.Stories260KHf);

    [Fact]
    public void Stories_tokenizer_matches_sentencepiece_on_every_reference_text()
    {
        var cases = TestData.Json("models", "stories260K", "tokenizer_reference.json").GetProperty("cases");
        foreach (var c in cases.EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            // Includes the one-character texts Microsoft.ML.Tokenizers 2.0.1 gets wrong on its own.
            Assert.True(c.GetProperty("sentencepiece_ids").Ints().SequenceEqual(Stories.Encode(text)), $"text {JsonSerializer.Serialize(text)}");
        }
    }

    [Fact]
    public void Llama2_tokenizer_matches_reference_ids()
    {
        var dir = TestData.Path("models", "llama2-tokenizer");
        var tokenizer = TokenizerFactory.FromModelDirectory(dir);
        var reference = TestData.Json("models", "llama2-tokenizer", "tokenizer_reference.json");
        var checkedCount = 0;
        foreach (var group in new[] { "upstream_cases", "more_cases" })
        {
            foreach (var c in reference.GetProperty(group).GetProperty("cases").EnumerateArray())
            {
                var text = c.GetProperty("text").GetString()!;
                var expected = (c.TryGetProperty("expected_ids", out var ids) ? ids : c.GetProperty("sentencepiece_ids")).Ints();
                Assert.True(expected.SequenceEqual(tokenizer.Encode(text)), $"text {JsonSerializer.Serialize(text)}: [{string.Join(",", tokenizer.Encode(text))}]");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 30);
    }

    [Fact]
    public void Special_tokens_in_text_become_their_ids_and_decode_skips_them()
    {
        Assert.Equal([1, 1, 403, 2], Stories.Encode("<s>Once</s>"));
        Assert.Equal("Once", Stories.Decode([1, 403, 2]));
        Assert.Equal("<s>Once</s>", Stories.Decode([1, 403, 2], skipSpecialTokens: false));
        Assert.Empty(Stories.Encode("", addSpecialTokens: false));
        Assert.Equal([1], Stories.Encode(""));
    }

    [Fact]
    public void Incremental_detokenizer_never_splits_a_multibyte_character()
    {
        // "é" is two UTF-8 bytes; this vocabulary spells it with byte-fallback pieces.
        var ids = Stories.Encode("café au lait", addSpecialTokens: false);
        var detokenizer = new IncrementalDetokenizer(Stories, [1]);
        var deltas = ids.Select(detokenizer.Add).ToList();
        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
        Assert.Equal("café au lait", string.Concat(deltas) + detokenizer.Flush());
    }

    [Fact]
    public void Byte_level_bpe_from_tokenizer_json_round_trips_with_special_tokens()
    {
        using var dir = new TempDirectory();
        ByteLevelFixture.Write(dir.Path);
        var tokenizer = TokenizerFactory.FromModelDirectory(dir.Path);
        Assert.Equal("byte-level-bpe", tokenizer.Kind);
        Assert.True(tokenizer.AddBosToken);
        var ids = tokenizer.Encode("hello world<|eot|>");
        Assert.Equal(ByteLevelFixture.Bos, ids[0]);
        Assert.Equal(ByteLevelFixture.Eot, ids[^1]);
        Assert.Contains(ByteLevelFixture.Hello, ids);
        Assert.Equal("hello world", tokenizer.Decode(ids));
        Assert.Equal("naïve ☃ x", tokenizer.Decode(tokenizer.Encode("naïve ☃ x")));
    }
}

/// <summary>A tiny GPT-2-style byte-level BPE tokenizer.json (256 byte symbols plus a few merges).</summary>
internal static class ByteLevelFixture
{
    public const int Bos = 300;
    public const int Eot = 301;
    public static int Hello { get; private set; }

    public static void Write(string dir)
    {
        var bytesToUnicode = BytesToUnicode();
        var vocab = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++)
        {
            vocab[bytesToUnicode[b].ToString()] = b;
        }
        var merges = new List<string> { "h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d" };
        foreach (var merge in merges)
        {
            vocab[merge.Replace(" ", "")] = vocab.Count;
        }
        Hello = vocab["hello"];
        var json = new
        {
            version = "1.0",
            added_tokens = new[]
            {
                new { id = Bos, content = "<|begin|>", special = true },
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
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<|begin|>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
            },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab, merges },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{"bos_token":"<|begin|>","eos_token":"<|eot|>","chat_template":"{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"}""");
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
