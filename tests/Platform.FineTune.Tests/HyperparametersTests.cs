using System.Text.Json;

namespace Platform.FineTune.Tests;

public sealed class HyperparametersTests
{
    private static (Hyperparameters? Value, string? Param, string? Error) Parse(string json) =>
        Hyperparameters.Parse(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Absent_null_and_auto_give_the_defaults()
    {
        Assert.Equal(new Hyperparameters(), Hyperparameters.Parse(null).Value);
        Assert.Equal(new Hyperparameters().NEpochs, Parse("""{"n_epochs":"auto","batch_size":"auto"}""").Value!.NEpochs);
        Assert.Equal(new Hyperparameters(), Parse("null").Value);
    }

    [Fact]
    public void Values_in_range_are_taken_and_targets_keep_model_order()
    {
        var h = Parse("""{"n_epochs":7,"batch_size":16,"learning_rate_multiplier":0.5,"lora_r":32,"lora_alpha":64,"lora_dropout":0.1,"target_modules":["v_proj","q_proj","v_proj"]}""").Value!;
        Assert.Equal((7, 16, 0.5, 32, 64.0, 0.1), (h.NEpochs, h.BatchSize, h.LearningRateMultiplier, h.LoraR, h.LoraAlpha, h.LoraDropout));
        Assert.Equal(["q_proj", "v_proj"], h.TargetModules);
    }

    [Theory]
    [InlineData("""{"n_epochs":51}""", "hyperparameters.n_epochs")]
    [InlineData("""{"n_epochs":1.5}""", "hyperparameters.n_epochs")]
    [InlineData("""{"batch_size":"big"}""", "hyperparameters.batch_size")]
    [InlineData("""{"learning_rate_multiplier":0}""", "hyperparameters.learning_rate_multiplier")]
    [InlineData("""{"lora_r":0}""", "hyperparameters.lora_r")]
    [InlineData("""{"lora_alpha":-2}""", "hyperparameters.lora_alpha")]
    [InlineData("""{"lora_dropout":1}""", "hyperparameters.lora_dropout")]
    [InlineData("""{"target_modules":[]}""", "hyperparameters.target_modules")]
    [InlineData("""{"target_modules":"q_proj"}""", "hyperparameters.target_modules")]
    [InlineData("""{"epochs":3}""", "hyperparameters.epochs")]
    [InlineData("""[1]""", "hyperparameters")]
    public void A_value_out_of_range_names_its_parameter(string json, string param)
    {
        var (value, name, error) = Parse(json);
        Assert.Null(value);
        Assert.Equal(param, name);
        Assert.StartsWith(param, error);
    }

    [Fact]
    public void Names_reject_paths_and_odd_characters()
    {
        Assert.True(Names.IsModelName("stories260K-hf.v2"));
        Assert.False(Names.IsModelName("../x"));
        Assert.False(Names.IsModelName("a/b"));
        Assert.False(Names.IsModelName(".hidden"));
        Assert.True(Names.IsSuffix("moon_2"));
        Assert.False(Names.IsSuffix("moon:2"));
        Assert.False(Names.IsSuffix(new string('a', 41)));
        Assert.Equal("base:moon", Names.FineTunedModel("base", "moon", "ftjob-1"));
        Assert.Equal("base:ftjob-1", Names.FineTunedModel("base", null, "ftjob-1"));
    }
}
