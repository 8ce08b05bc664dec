using Platform.Inference.Chat;
using Platform.Inference.Generation;

namespace Platform.Inference.Tests;

public sealed class SamplingTests
{
    [Fact]
    public void Validation_names_the_field()
    {
        Assert.Equal("top_p", Assert.Throws<SamplingParameterException>(() => new SamplingParameters { TopP = 0 }.Validate()).Field);
        Assert.Equal("temperature", Assert.Throws<SamplingParameterException>(() => new SamplingParameters { Temperature = -1 }.Validate()).Field);
        Assert.Equal("max_tokens", Assert.Throws<SamplingParameterException>(() => new SamplingParameters { MaxTokens = 0 }.Validate()).Field);
        Assert.Equal("top_logprobs", Assert.Throws<SamplingParameterException>(() => new SamplingParameters { TopLogprobs = 21 }.Validate()).Field);
        Assert.Equal("min_p", Assert.Throws<SamplingParameterException>(() => new SamplingParameters { MinP = 2 }.Validate()).Field);
    }

    [Fact]
    public void Repetition_penalty_follows_hugging_face()
    {
        float[] logits = [2f, -2f, 1f];
        LogitsProcessing.ApplyRepetitionPenalty(logits, [0, 1], 2f);
        Assert.Equal([1f, -4f, 1f], logits);
    }

    [Fact]
    public void Presence_and_frequency_penalties_follow_openai()
    {
        float[] logits = [1f, 1f, 1f];
        LogitsProcessing.ApplyPresenceAndFrequencyPenalties(logits, new Dictionary<int, int> { [0] = 3, [2] = 1 }, 0.5f, 0.25f);
        Assert.Equal([1f - 0.75f - 0.5f, 1f, 1f - 0.25f - 0.5f], logits);
    }

    [Fact]
    public void Logit_bias_is_added_before_the_penalties_and_can_ban_or_force_a_token()
    {
        float[] logits = [1f, 3f, 2f];
        LogitsProcessing.ApplyLogitBias(logits, new Dictionary<int, float> { [0] = 0.5f, [7] = 100f });
        Assert.Equal([1.5f, 3f, 2f], logits);

        var banned = new TokenSelector(new SamplingParameters { Temperature = 0, LogitBias = new Dictionary<int, float> { [1] = -100f } }, []);
        Assert.Equal(2, banned.Select(new float[] { 1f, 3f, 2f }));
        // +100 wins even a draw at a high temperature: the other tokens keep about e^-50 of the mass.
        var forced = new TokenSelector(new SamplingParameters { Temperature = 2, Seed = 3, LogitBias = new Dictionary<int, float> { [0] = 100f } }, []);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(0, forced.Select(new float[] { 1f, 3f, 2f })));

        Assert.Equal("logit_bias", Assert.Throws<SamplingParameterException>(() =>
            new SamplingParameters { LogitBias = new Dictionary<int, float> { [1] = 101f } }.Validate()).Field);
    }

    [Fact]
    public void Top_k_top_p_and_min_p_mask_the_tail()
    {
        float[] topK = [1f, 4f, 3f, 2f];
        LogitsProcessing.ApplyTopK(topK, 2);
        Assert.Equal([float.NegativeInfinity, 4f, 3f, float.NegativeInfinity], topK);

        var probabilities = new[] { 0.5, 0.3, 0.15, 0.05 };
        var topP = probabilities.Select(p => (float)Math.Log(p)).ToArray();
        LogitsProcessing.ApplyTopP(topP, 0.75f);
        Assert.Equal(2, topP.Count(float.IsFinite));

        var minP = probabilities.Select(p => (float)Math.Log(p)).ToArray();
        LogitsProcessing.ApplyMinP(minP, 0.2f); // keeps p >= 0.1
        Assert.Equal(3, minP.Count(float.IsFinite));
    }

    [Fact]
    public void Same_seed_gives_the_same_draws_and_temperature_zero_is_argmax()
    {
        var logits = Enumerable.Range(0, 100).Select(i => (float)Math.Sin(i)).ToArray();
        int[] Draw(long seed)
        {
            var selector = new TokenSelector(new SamplingParameters { Temperature = 1.5, Seed = seed }, []);
            return Enumerable.Range(0, 50).Select(_ => selector.Select(logits.ToArray())).ToArray();
        }
        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
        var greedy = new TokenSelector(new SamplingParameters { Temperature = 0 }, []);
        Assert.Equal(LogitsProcessing.Argmax(logits), greedy.Select(logits.ToArray()));
    }

    [Fact]
    public void Logprobs_are_normalised_and_top_alternatives_sorted()
    {
        float[] logits = [0f, 2f, 1f];
        var (logprob, top) = TokenSelector.Logprobs(logits, 2, 2);
        var expected = 1 - Math.Log(Math.Exp(0) + Math.Exp(2) + Math.Exp(1));
        Assert.Equal(expected, logprob, 6);
        Assert.Equal([1, 2], top.Select(t => t.TokenId));
        Assert.Equal(1.0, logits.Select((_, i) => Math.Exp(TokenSelector.Logprobs(logits, i, 0).Logprob)).Sum(), 6);
    }

    [Fact]
    public void Stop_strings_hold_back_partial_matches_and_cut_at_the_match()
    {
        var matcher = new StopStringMatcher(["END"]);
        Assert.Equal("abc ", matcher.Push("abc E"));
        Assert.Equal("", matcher.Push("N"));
        var stopped = new StopStringMatcher(["END"]);
        Assert.Equal("hello ", stopped.Push("hello EN") + stopped.Push("D and more"));
        Assert.True(stopped.Stopped);
        var flushed = new StopStringMatcher(["END"]);
        Assert.Equal("tail E", flushed.Push("tail E") + flushed.Flush());
    }

    [Fact]
    public void Chat_templates_are_detected_and_rendered()
    {
        Assert.Equal(ChatFormat.ChatML, ChatTemplate.Detect("{{'<|im_start|>' + m.role}}"));
        Assert.Equal(ChatFormat.Llama3, ChatTemplate.Detect("<|start_header_id|>{{ role }}"));
        Assert.Equal(ChatFormat.Llama2, ChatTemplate.Detect("[INST] <<SYS>>"));
        Assert.Equal(ChatFormat.Mistral, ChatTemplate.Detect("{{ '[INST] ' + content + ' [/INST]' }}"));
        Assert.Null(ChatTemplate.Detect("{{ content }}"));
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hi")];
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            new ChatTemplate(ChatFormat.ChatML).Render(messages));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            new ChatTemplate(ChatFormat.Llama3, "<|begin_of_text|>").Render(messages));
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]", new ChatTemplate(ChatFormat.Llama2).Render(messages));
        Assert.Equal("<s>[INST] Be brief.\n\nHi [/INST]", new ChatTemplate(ChatFormat.Mistral).Render(messages));
    }
}
