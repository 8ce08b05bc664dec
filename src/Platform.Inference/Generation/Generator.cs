using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Platform.Inference.Model;
using Platform.Inference.Tokenization;
using TorchSharp;

namespace Platform.Inference.Generation;

/// <summary>
/// Single-sequence generation over a <see cref="LlamaForCausalLM"/> with a dense KV cache:
/// one prefill pass over the prompt, then one forward pass per new token.
/// </summary>
public sealed class Generator
{
    private readonly LlamaForCausalLM _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly HashSet<int> _eosTokenIds;

    /// <summary>
    /// Creates a generator; <paramref name="eosTokenIds"/> (generation_config.json) are joined with
    /// the tokenizer's EOS ids to form the ids that finish with "stop".
    /// </summary>
    public Generator(LlamaForCausalLM model, ITextTokenizer tokenizer, IEnumerable<int>? eosTokenIds = null)
    {
        _model = model;
        _tokenizer = tokenizer;
        _eosTokenIds = [.. tokenizer.EosTokenIds, .. eosTokenIds ?? []];
    }

    /// <summary>Ids that end generation with "stop".</summary>
    public IReadOnlySet<int> EosTokenIds => _eosTokenIds;

    /// <summary>Streams the completion of <paramref name="promptIds"/>; the last item carries the finish reason.</summary>
    public IEnumerable<GeneratedToken> Generate(IReadOnlyList<int> promptIds, SamplingParameters parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        parameters.Validate();
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("the prompt must have at least one token (BOS for an empty text)", nameof(promptIds));
        }
        var vocab = _model.Config.VocabSize;
        if (promptIds.Any(id => (uint)id >= (uint)vocab))
        {
            throw new ArgumentException($"prompt token ids must be in [0, {vocab})", nameof(promptIds));
        }
        return Run(promptIds, parameters, cancellationToken);
    }

    private IEnumerable<GeneratedToken> Run(IReadOnlyList<int> promptIds, SamplingParameters parameters,
        CancellationToken cancellationToken)
    {
        var selector = new TokenSelector(parameters, promptIds);
        var detokenizer = new IncrementalDetokenizer(_tokenizer, promptIds);
        var stops = new StopStringMatcher(parameters.Stop);
        var stopIds = parameters.IgnoreEos ? [.. parameters.StopTokenIds] : new HashSet<int>(_eosTokenIds.Concat(parameters.StopTokenIds));
        var logits = new float[_model.Config.VocabSize];
        var raw = parameters.Logprobs || parameters.TopLogprobs > 0 ? new float[logits.Length] : null;
        using var cache = _model.CreateCache(promptIds.Count + parameters.MaxTokens);
        Forward(promptIds.Select(i => (long)i).ToArray(), cache, logits);
        for (var generated = 0; ; generated++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (raw is not null)
            {
                logits.CopyTo(raw, 0);
            }
            var token = selector.Select(logits);
            if (stopIds.Contains(token))
            {
                // The ending token itself is not part of the completion.
                yield return new GeneratedToken(token, FlushText(detokenizer, stops), null, null, FinishReason.Stop, IsStopToken: true);
                yield break;
            }
            selector.Accept(token);
            double? logprob = null;
            IReadOnlyList<TokenLogprob>? top = null;
            if (raw is not null)
            {
                (var lp, top) = TokenSelector.Logprobs(raw, token, parameters.TopLogprobs);
                logprob = lp;
            }
            var text = stops.Push(detokenizer.Add(token));
            if (stops.Stopped)
            {
                yield return new GeneratedToken(token, text, logprob, top, FinishReason.Stop);
                yield break;
            }
            if (generated + 1 >= parameters.MaxTokens)
            {
                yield return new GeneratedToken(token, text + FlushText(detokenizer, stops), logprob, top, FinishReason.Length);
                yield break;
            }
            yield return new GeneratedToken(token, text, logprob, top, null);
            Forward([token], cache, logits);
        }
    }

    private static string FlushText(IncrementalDetokenizer detokenizer, StopStringMatcher stops) =>
        stops.Push(detokenizer.Flush()) + stops.Flush();

    /// <summary>Runs the whole generation and collects it.</summary>
    public GenerationResult Complete(IReadOnlyList<int> promptIds, SamplingParameters parameters,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var text = new StringBuilder();
        var ids = new List<int>();
        var tokens = new List<GeneratedToken>();
        var finish = FinishReason.Length;
        foreach (var token in Generate(promptIds, parameters, cancellationToken))
        {
            text.Append(token.Text);
            finish = token.FinishReason ?? finish;
            if (token.IsStopToken)
            {
                break;
            }
            ids.Add(token.TokenId);
            if (parameters.Logprobs || parameters.TopLogprobs > 0)
            {
                tokens.Add(token);
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new GenerationResult
        {
            Text = text.ToString(),
            TokenIds = ids,
            PromptTokenIds = promptIds,
            FinishReason = finish,
            Tokens = tokens,
            TokensPerSecond = seconds > 0 ? ids.Count / seconds : 0,
        };
    }

    private void Forward(long[] ids, IKvCache cache, float[] logits)
    {
        using var mode = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var input = torch.tensor(ids, [1, ids.Length], torch.int64);
        var output = _model.forward(input, cache: cache, logitsToKeep: 1).to(torch.CPU).contiguous();
        MemoryMarshal.Cast<byte, float>(output.bytes).CopyTo(logits);
    }
}
