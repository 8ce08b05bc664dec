using Platform.Inference.Chat;
using Platform.Inference.Checkpoints;
using Platform.Inference.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Tests.Training;

public sealed class TrainingPartsTests
{
    [Fact]
    public void Chat_examples_train_only_on_assistant_turns_with_weight_one_and_their_end_of_turn_token()
    {
        using var loaded = ModelLoader.Load(TestData.Stories260KHf);
        var tokenizer = loaded.Tokenizer;
        var record = DatasetReader.Read(new StringReader("""
            {"messages":[{"role":"user","content":"Tell me."},{"role":"assistant","content":"A cat sat.","weight":0},{"role":"user","content":"More."},{"role":"assistant","content":"A dog ran."}]}
            """)).Single().Record!;

        var plain = new ExampleEncoder(tokenizer, template: null).Encode(record);
        Assert.Equal(tokenizer.Encode("Tell me.\nA cat sat.</s>More.\nA dog ran.</s>"), plain.InputIds);
        Assert.True(plain.Trainable[^1]);
        Assert.Equal(2, plain.InputIds[^1]);
        Assert.Equal("A dog ran.", tokenizer.Decode(plain.InputIds.Where((_, i) => plain.Trainable[i])).Trim());

        var chatMl = new ExampleEncoder(tokenizer, new ChatTemplate(ChatFormat.ChatML)).Encode(record);
        var trained = tokenizer.Decode(chatMl.InputIds.Where((_, i) => chatMl.Trainable[i]), skipSpecialTokens: false);
        Assert.Contains("A dog ran.", trained);
        Assert.DoesNotContain("cat", trained);
        Assert.DoesNotContain("More", trained);
    }

    [Fact]
    public void The_reader_names_each_bad_line()
    {
        var results = DatasetReader.Read(new StringReader(string.Join('\n',
            """{"prompt":"a","completion":"b"}""",
            "",
            """{"prompt":"a","completion":""}""",
            """{"messages":[{"role":"user","content":3}]}""",
            """{"messages":[{"role":"user","content":"x","weight":1},{"role":"assistant","content":"y"}]}""",
            """{"messages":[]}""",
            """{"text":"x"}"""))).ToList();
        Assert.NotNull(results[0].Record);
        Assert.Equal([3, 4, 5, 6, 7], results.Skip(1).Select(r => r.Error!.Line));
        Assert.Contains("empty", results[1].Error!.Message);
        Assert.Contains("string \"content\"", results[2].Error!.Message);
        Assert.Contains("\"weight\"", results[3].Error!.Message);
        Assert.Contains("non-empty array", results[4].Error!.Message);
        Assert.Contains("\"messages\"", results[5].Error!.Message);
    }

    [Fact]
    public void The_schedule_warms_up_linearly_then_decays_by_cosine_to_zero()
    {
        var schedule = new LearningRateSchedule(1.0, WarmupSteps: 4, TotalSteps: 14);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], Enumerable.Range(0, 4).Select(schedule.At));
        Assert.Equal(1.0, schedule.At(4), 12);
        Assert.Equal(0.5, schedule.At(9), 12);
        Assert.Equal(0.0, schedule.At(14), 12);
        Assert.True(Enumerable.Range(4, 10).Select(schedule.At).Zip(Enumerable.Range(5, 10).Select(schedule.At)).All(p => p.First > p.Second));
    }

    [Fact]
    public void AdamW_matches_torch_optim_AdamW()
    {
        var generator = new torch.Generator(5);
        using var start = randn([6, 3], generator: generator);
        using var ours = new Parameter(start.clone());
        using var theirs = new Parameter(start.clone());
        using var mine = new Platform.Inference.Training.AdamW([("w", ours)], weightDecay: 0.01);
        var reference = optim.AdamW([theirs], lr: 0.05, weight_decay: 0.01);
        for (var step = 0; step < 5; step++)
        {
            using var target = randn([6, 3], generator: generator);
            foreach (var p in new[] { ours, theirs })
            {
                using var scope = NewDisposeScope();
                p.grad?.zero_();
                (p - target).pow(2).sum().backward();
            }
            mine.Step(0.05);
            reference.step();
        }
        Assert.True(ours.allclose(theirs, rtol: 1e-5, atol: 1e-6));
    }
}
