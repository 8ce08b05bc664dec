using System.Text;
using Platform.Inference.Checkpoints;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Tests;

/// <summary>Every checkpoint defect is one <see cref="ModelLoadException"/> naming the file and field.</summary>
public sealed class BadInputTests
{
    private static ModelLoadException LoadFails(string dir) =>
        Assert.Throws<ModelLoadException>(() => ModelLoader.Load(dir).Dispose());

    private static string Valid(TempDirectory dir)
    {
        new RandomCheckpoint().Build().WriteTo(dir.Path);
        foreach (var file in new[] { "tokenizer.model", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(TestData.Stories260KHf, file), dir.File(file));
        }
        return dir.Path;
    }

    [Fact]
    public void Missing_config_names_the_file()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.Delete(dir.File("config.json"));
        var e = LoadFails(dir.Path);
        Assert.EndsWith("config.json", e.File);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Missing_weights_name_the_file()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.Delete(dir.File("model.safetensors"));
        Assert.EndsWith("model.safetensors", LoadFails(dir.Path).File);
    }

    [Fact]
    public void Unsupported_architecture_names_the_field()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.WriteAllText(dir.File("config.json"), File.ReadAllText(dir.File("config.json")).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        var e = LoadFails(dir.Path);
        Assert.Equal("architectures", e.Field);
        Assert.Contains("GPT2LMHeadModel", e.Message);
    }

    [Fact]
    public void Bad_config_value_names_the_field()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.WriteAllText(dir.File("config.json"), File.ReadAllText(dir.File("config.json")).Replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"));
        Assert.Equal("num_key_value_heads", LoadFails(dir.Path).Field);
    }

    [Theory]
    [InlineData("huge-length")]
    [InlineData("not-json")]
    [InlineData("truncated")]
    [InlineData("too-short")]
    public void Corrupt_safetensors_header_is_reported(string corruption)
    {
        using var dir = new TempDirectory();
        Valid(dir);
        var path = dir.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        switch (corruption)
        {
            case "huge-length":
                BitConverter.GetBytes(long.MaxValue / 2).CopyTo(bytes, 0);
                break;
            case "not-json":
                bytes[9] = (byte)'#';
                break;
            case "truncated":
                bytes = bytes[..^100];
                break;
            default:
                bytes = bytes[..5];
                break;
        }
        File.WriteAllBytes(path, bytes);
        var e = LoadFails(dir.Path);
        Assert.Equal(path, e.File);
        Assert.NotNull(e.Field);
    }

    [Fact]
    public void Wrong_shape_names_the_tensor()
    {
        using var dir = new TempDirectory();
        var checkpoint = new RandomCheckpoint().Build();
        checkpoint.Shapes["model.layers.1.mlp.up_proj.weight"] = [32, 48];
        checkpoint.WriteTo(dir.Path);
        File.Copy(Path.Combine(TestData.Stories260KHf, "tokenizer.model"), dir.File("tokenizer.model"));
        var e = LoadFails(dir.Path);
        Assert.Equal("model.layers.1.mlp.up_proj.weight", e.Field);
        Assert.Contains("[48, 32]", e.Message);
    }

    [Fact]
    public void Missing_tensor_names_the_tensor()
    {
        using var dir = new TempDirectory();
        var checkpoint = new RandomCheckpoint(Tied: false).Build();
        checkpoint.W.Remove("lm_head.weight");
        checkpoint.WriteTo(dir.Path);
        File.Copy(Path.Combine(TestData.Stories260KHf, "tokenizer.model"), dir.File("tokenizer.model"));
        Assert.Equal("lm_head.weight", LoadFails(dir.Path).Field);
    }

    [Fact]
    public void Unsupported_dtype_names_the_tensor()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        var path = dir.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        // Same byte size, integer dtype: the header is consistent but the weight is not a float.
        var patched = header.Replace("{\"dtype\":\"F32\",\"shape\":[32]", "{\"dtype\":\"I32\",\"shape\":[32]");
        Assert.NotEqual(header, patched);
        Encoding.UTF8.GetBytes(patched).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var tensor = System.Text.RegularExpressions.Regex.Match(patched, "\"([^\"]+)\":\\{\"dtype\":\"I32\"").Groups[1].Value;
        Assert.NotEmpty(tensor);
        var e = LoadFails(dir.Path);
        Assert.Equal(path, e.File);
        Assert.Contains("I32", e.Message);
        Assert.Contains(tensor, e.Message);
    }

    [Fact]
    public void Shard_missing_from_index_is_reported()
    {
        using var dir = new TempDirectory();
        new RandomCheckpoint().Build().WriteTo(dir.Path, shards: 2);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var e = LoadFails(dir.Path);
        Assert.EndsWith("model.safetensors.index.json", e.File);
        Assert.StartsWith("weight_map.", e.Field);
    }

    [Fact]
    public void Unreadable_tokenizer_names_the_file()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.WriteAllBytes(dir.File("tokenizer.model"), [1, 2, 3, 4, 5]);
        var e = Assert.Throws<ModelLoadException>(() => TokenizerFactory.FromModelDirectory(dir.Path));
        Assert.EndsWith("tokenizer.model", e.File);
    }

    [Fact]
    public void Missing_tokenizer_is_reported()
    {
        using var dir = new TempDirectory();
        new RandomCheckpoint().Build().WriteTo(dir.Path);
        Assert.Contains("tokenizer", LoadFails(dir.Path).Message);
    }

    [Fact]
    public void Broken_tokenizer_config_names_the_file()
    {
        using var dir = new TempDirectory();
        Valid(dir);
        File.WriteAllText(dir.File("tokenizer_config.json"), "{ \"bos_token\": ");
        Assert.EndsWith("tokenizer_config.json", LoadFails(dir.Path).File);
    }
}
