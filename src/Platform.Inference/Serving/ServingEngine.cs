using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Serving;

/// <summary>
/// Serves one model to many concurrent requests: a dedicated loop thread runs one
/// <see cref="ContinuousBatchScheduler"/> step after another over a <see cref="PagedKvPool"/>.
/// Per step, all single-token chunks (decodes) run as one batched forward, each prefill chunk as
/// its own forward; rows may use different LoRA adapters. Requests are submitted and cancelled from
/// any thread; results stream back through channels.
/// </summary>
public sealed class ServingEngine : IDisposable
{
    private readonly LoadedModel _model;
    private readonly ServingEngineOptions _options;
    private readonly ServingMetrics? _metrics;
    private readonly Action<Exception, int>? _onStepFailed;
    private readonly PagedKvPool _pool;
    private readonly ContinuousBatchScheduler _scheduler;
    private readonly HashSet<int> _eos;
    private readonly ConcurrentQueue<EngineSequence> _incoming = new();
    private readonly ConcurrentQueue<EngineSequence> _cancelled = new();
    private readonly ManualResetEventSlim _signal = new(false);
    private readonly Queue<(long Timestamp, int Tokens)> _rateWindow = new();
    private readonly Thread _thread;
    private readonly Lock _lifecycle = new();
    private volatile bool _stopping;
    private bool _disposed;
    private volatile ServingStats _stats = new();
    private long _nextId;
    private long _cancelledCount;
    private LoraBatchDelta? _delta;
    private long _adapterStackBuilds;
    private StepPhases _phases = new();

    /// <summary>
    /// Starts an engine named <paramref name="name"/> for <paramref name="model"/>.
    /// <paramref name="onStepFailed"/> hears about a step that threw (its sequences fail, others go on).
    /// </summary>
    public ServingEngine(string name, LoadedModel model, ServingEngineOptions options, AdapterRegistry? adapters = null,
        ServingMetrics? metrics = null, Action<Exception, int>? onStepFailed = null)
    {
        Name = name;
        _model = model;
        _options = options;
        Adapters = adapters;
        _metrics = metrics;
        _onStepFailed = onStepFailed;
        _pool = new PagedKvPool(model.Model.Config, options.KvCacheBytes, options.BlockSize, model.Model.Device);
        _scheduler = new ContinuousBatchScheduler(new KvBlockManager(_pool.TotalBlocks, options.BlockSize),
            options.Scheduler.ForDevice(cpu: model.Model.Device.type == DeviceType.CPU));
        _eos = [.. model.CreateGenerator().EosTokenIds];
        _stats = Snapshot();
        metrics?.Register(name, () => _stats);
        _thread = new Thread(Loop) { IsBackground = true, Name = "engine-" + name };
        _thread.Start();
    }

    /// <summary>The model's name in the API.</summary>
    public string Name { get; }

    /// <summary>The loaded checkpoint.</summary>
    public LoadedModel Model => _model;

    /// <summary>The model's adapters, when serving them is configured.</summary>
    public AdapterRegistry? Adapters { get; }

    /// <summary>Context length (max_position_embeddings).</summary>
    public int ContextLength => _model.Model.Config.MaxPositionEmbeddings;

    /// <summary>Most tokens one sequence can hold in the KV pool (the whole pool).</summary>
    public int PoolTokenCapacity => _pool.TotalBlocks * _pool.BlockSize;

    /// <summary>KV blocks in the pool.</summary>
    public int TotalBlocks => _pool.TotalBlocks;

    /// <summary>The latest published state.</summary>
    public ServingStats Stats => _stats;

    /// <summary>
    /// Queues <paramref name="request"/>. Throws <see cref="SamplingParameterException"/> for bad
    /// sampling values, <see cref="ArgumentException"/> for an empty or out-of-vocabulary prompt or
    /// one that cannot fit the context or the KV pool, <see cref="AdapterNotFoundException"/> for an
    /// unknown adapter.
    /// </summary>
    public SequenceHandle Submit(EngineRequest request)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        request.Parameters.Validate();
        if (request.PromptLogprobs is < 0 or > 20)
        {
            throw new SamplingParameterException("prompt_logprobs", $"must be in [0, 20], got {request.PromptLogprobs}");
        }
        var vocab = _model.Model.Config.VocabSize;
        if (request.PromptTokens.Count == 0 || request.PromptTokens.Any(t => (uint)t >= (uint)vocab))
        {
            throw new ArgumentException($"the prompt must be one or more token ids in [0, {vocab})", nameof(request));
        }
        var total = request.PromptTokens.Count + request.Parameters.MaxTokens;
        if (total > ContextLength)
        {
            throw new ArgumentException($"prompt ({request.PromptTokens.Count}) + max_tokens ({request.Parameters.MaxTokens}) exceeds the context length {ContextLength}", nameof(request));
        }
        if (total > PoolTokenCapacity)
        {
            throw new ArgumentException($"prompt + max_tokens ({total} tokens) exceeds the KV cache of {PoolTokenCapacity} tokens", nameof(request));
        }
        LoraAdapter? adapter = null;
        if (request.Adapter is { } adapterName)
        {
            adapter = (Adapters ?? throw new AdapterNotFoundException(adapterName, Name)).Acquire(adapterName);
        }
        var root = BlockHasher.Root(request.CacheSalt, adapter?.Directory ?? "");
        var sequence = new EngineSequence(Interlocked.Increment(ref _nextId), request, root, _model.Tokenizer, _eos, vocab, adapter);
        _incoming.Enqueue(sequence);
        _signal.Set();
        return new SequenceHandle(sequence.Output.Reader, request.PromptTokens.Count, () => sequence.CachedPromptTokens, () =>
        {
            _cancelled.Enqueue(sequence);
            _signal.Set();
        });
    }

    private void Loop()
    {
        using var inference = torch.inference_mode();
        while (true)
        {
            DrainQueues();
            if (_stopping)
            {
                foreach (var sequence in _scheduler.Waiting.Concat(_scheduler.Running).ToList())
                {
                    Finish((EngineSequence)sequence, new OperationCanceledException("the engine is shutting down"));
                }
                _stats = Snapshot();
                return;
            }
            if (_scheduler.Waiting.Count == 0 && _scheduler.Running.Count == 0)
            {
                _stats = Snapshot();
                _signal.Wait(TimeSpan.FromSeconds(1));
                _signal.Reset();
                continue;
            }
            var step = _scheduler.Schedule();
            foreach (var preempted in step.Preempted)
            {
                _metrics?.Preempted(Name, preempted.Priority);
            }
            if (step.Chunks.Count == 0)
            {
                _signal.Wait(TimeSpan.FromMilliseconds(50));
                _signal.Reset();
                continue;
            }
            try
            {
                Execute(step);
            }
            catch (Exception e)
            {
                _onStepFailed?.Invoke(e, step.Chunks.Count);
                foreach (var chunk in step.Chunks)
                {
                    Finish((EngineSequence)chunk.Sequence, e);
                }
            }
            _stats = Snapshot();
        }
    }

    private void DrainQueues()
    {
        while (_incoming.TryDequeue(out var sequence))
        {
            _scheduler.Add(sequence);
        }
        while (_cancelled.TryDequeue(out var sequence))
        {
            if (!sequence.Done)
            {
                _cancelledCount++;
                Finish(sequence, new OperationCanceledException("the client cancelled the request"));
            }
        }
    }

    private void Execute(SchedulerStep step)
    {
        // Decodes in one forward; prefill chunks in another, left-padded to the longest chunk; chunks whose prompt
        // logprobs are wanted in a third, which keeps the logits of every position.
        var decode = step.Chunks.Where(c => c.Count == 1 && !Scores(c)).ToList();
        var prefill = step.Chunks.Where(c => c.Count > 1 && !Scores(c)).ToList();
        var scoring = step.Chunks.Where(Scores).ToList();
        foreach (var chunks in new[] { decode, prefill })
        {
            if (chunks.Count > 0)
            {
                Forward(chunks, everyPosition: false);
            }
        }
        if (scoring.Count > 0)
        {
            Forward(scoring, everyPosition: true);
        }
    }

    private static bool Scores(ScheduledChunk chunk) => ((EngineSequence)chunk.Sequence).PromptLogprobsPending;

    private void Forward(List<ScheduledChunk> chunks, bool everyPosition)
    {
        var started = Stopwatch.GetTimestamp();
        using var scope = NewDisposeScope();
        int batch = chunks.Count, length = chunks.Max(c => c.Count), span = chunks.Max(c => c.Start + c.Count);
        var blockSize = _pool.BlockSize;
        var ids = new long[batch * length];
        var positions = new long[batch * length];
        var writes = new long[batch * length];
        var gathers = new long[batch * span];
        var lengths = new int[batch];
        for (var b = 0; b < batch; b++)
        {
            var (sequence, start, count) = (chunks[b].Sequence, chunks[b].Start, chunks[b].Count);
            lengths[b] = start + count;
            var padding = length - count;
            for (var t = 0; t < length; t++)
            {
                // Left padding keeps every row's last token in the last column (logitsToKeep: 1).
                // A pad sits at position 0 (it may attend to key 0, never all-masked) and writes to the scratch slot.
                var p = t < padding ? -1 : start + t - padding;
                ids[b * length + t] = p < 0 ? 0 : sequence.Tokens[p];
                positions[b * length + t] = Math.Max(p, 0);
                writes[b * length + t] = p < 0 ? _pool.ScratchSlot : sequence.Slot(p, blockSize);
            }
            for (var j = 0; j < start + count; j++)
            {
                gathers[b * span + j] = sequence.Slot(j, blockSize);
            }
        }
        var device = _model.Model.Device;
        var position = tensor(positions, [batch, length], ScalarType.Int64);
        var mask = TorchScalars.Range(0, span, CPU).view(1, 1, 1, span).le(position.view(batch, 1, length, 1)).to(device);
        var cache = new PagedBatchCache(_pool, tensor(writes, ScalarType.Int64).to(device), tensor(gathers, ScalarType.Int64).to(device), batch, length, span, gathers, lengths);
        var delta = DeltaFor(chunks);
        Tensor logits;
        var prepared = Stopwatch.GetTimestamp();
        try
        {
            _model.Model.SetLowRankDelta(delta);
            _model.Model.SetTokenDelta(delta is { HasTokens: true } ? delta : null);
            logits = _model.Model.forward(tensor(ids, [batch, length], ScalarType.Int64), position, cache,
                logitsToKeep: everyPosition ? 0 : 1, attentionMask: mask);
        }
        finally
        {
            _model.Model.SetLowRankDelta(null);
            _model.Model.SetTokenDelta(null);
        }
        var issued = Stopwatch.GetTimestamp();
        var vocab = _model.Model.Config.VocabSize;
        if (everyPosition)
        {
            RecordPromptLogprobs(chunks, logits, length);
            logits = logits.narrow(1, length - 1, 1);
        }
        var host = logits.reshape(batch, vocab).to(CPU).contiguous();
        var values = MemoryMarshal.Cast<byte, float>(host.bytes);
        var copied = Stopwatch.GetTimestamp();
        for (var b = 0; b < batch; b++)
        {
            var sequence = (EngineSequence)chunks[b].Sequence;
            _scheduler.Computed(chunks[b]);
            if (chunks[b].Samples)
            {
                values.Slice(b * vocab, vocab).CopyTo(sequence.Logits);
                Sample(sequence);
            }
        }
        _phases = new StepPhases
        {
            Forwards = _phases.Forwards + 1,
            PrepareSeconds = _phases.PrepareSeconds + Stopwatch.GetElapsedTime(started, prepared).TotalSeconds,
            ForwardSeconds = _phases.ForwardSeconds + Stopwatch.GetElapsedTime(prepared, issued).TotalSeconds,
            DeviceWaitSeconds = _phases.DeviceWaitSeconds + Stopwatch.GetElapsedTime(issued, copied).TotalSeconds,
            SampleSeconds = _phases.SampleSeconds + Stopwatch.GetElapsedTime(copied).TotalSeconds,
        };
    }

    /// <summary>
    /// The stacked adapters for this batch. Stacking copies every adapter's weights for every layer (hundreds of small
    /// copies on a GPU, where each costs microseconds of launch), so a stack is kept while it holds every adapter the
    /// batch needs, its extra rows masked off; when one is missing it is rebuilt for the adapters of every sequence
    /// admitted or waiting, not just this batch's, so sequences arriving one step apart do not rebuild it step after step.
    /// </summary>
    private LoraBatchDelta? DeltaFor(List<ScheduledChunk> chunks)
    {
        var needed = chunks.Select(c => ((EngineSequence)c.Sequence).Adapter).OfType<LoraAdapter>().ToList();
        if (needed.Count == 0)
        {
            return null;
        }
        if (_delta is null || needed.Any(a => !_delta.Holds(a)))
        {
            var live = _scheduler.Running.Concat(_scheduler.Waiting).Select(s => ((EngineSequence)s).Adapter).OfType<LoraAdapter>();
            var adapters = needed.Concat(live).DistinctBy(a => a.LoadId).OrderBy(a => a.LoadId).ToList();
            _delta?.Dispose();
            _delta = new LoraBatchDelta(adapters, _model.Model);
            _adapterStackBuilds++;
        }
        _delta.SetRows(chunks.Select(c => ((EngineSequence)c.Sequence).Adapter is { } a ? _delta.SlotOf(a) : 0L).ToArray());
        return _delta;
    }

    private void Sample(EngineSequence sequence)
    {
        if (sequence.RawLogits is { } raw)
        {
            sequence.Logits.CopyTo(raw, 0);
        }
        sequence.Constraint?.Mask(sequence.Logits, sequence.StopIds);
        var token = sequence.Selector.Select(sequence.Logits);
        if (sequence.StopIds.Contains(token))
        {
            Emit(sequence, new SequenceOutput(Flush(sequence), sequence.Generated, FinishReason.Stop), counted: false);
            return;
        }
        sequence.Selector.Accept(token);
        sequence.Constraint?.Accept(token);
        sequence.Tokens.Add(token);
        sequence.Generated++;
        double? logprob = null;
        IReadOnlyList<TokenLogprob>? top = null;
        if (sequence.RawLogits is { } rawLogits)
        {
            (var lp, top) = TokenSelector.Logprobs(rawLogits, token, sequence.Parameters.TopLogprobs);
            logprob = lp;
        }
        var text = sequence.Stops.Push(sequence.Detokenizer.Add(token));
        FinishReason? finish = null;
        if (sequence.Stops.Stopped)
        {
            finish = FinishReason.Stop;
        }
        else if (sequence.Generated >= sequence.Parameters.MaxTokens)
        {
            finish = FinishReason.Length;
            text += Flush(sequence);
        }
        Emit(sequence, new SequenceOutput(text, sequence.Generated, finish, token, logprob, top), counted: true);
    }

    /// <summary>
    /// For each chunk row wanting them, the log-probability of each prompt token after a position of the chunk, from
    /// that position's logits (<paramref name="logits"/> [B, T, vocab], rows left-padded to T), with the alternatives
    /// asked for. Log-softmax, the pick and top-k run where the logits are; only [B, T] and [B, T, k] come to the host.
    /// A position already recorded (a prompt recomputed after preemption) is skipped.
    /// </summary>
    private static void RecordPromptLogprobs(List<ScheduledChunk> chunks, Tensor logits, int length)
    {
        using var scope = NewDisposeScope();
        int batch = chunks.Count;
        var next = new long[batch * length];
        for (var b = 0; b < batch; b++)
        {
            var (sequence, start, count) = ((EngineSequence)chunks[b].Sequence, chunks[b].Start, chunks[b].Count);
            for (var t = length - count; t < length; t++)
            {
                var position = start + t - (length - count);
                next[b * length + t] = position + 1 < sequence.PromptLength ? sequence.Tokens[position + 1] : 0;
            }
        }
        var logProbabilities = nn.functional.log_softmax(logits.to(ScalarType.Float32), -1);
        var nextIds = tensor(next, [batch, length, 1], ScalarType.Int64).to(logits.device);
        var chosen = logProbabilities.gather(2, nextIds).reshape(-1).to(CPU).data<float>().ToArray();
        var top = chunks.Max(c => ((EngineSequence)c.Sequence).PromptLogprobsTop ?? 0);
        float[] topValues = [];
        long[] topIds = [];
        if (top > 0)
        {
            var (values, indices) = logProbabilities.topk(top, -1);
            topValues = values.reshape(-1).to(CPU).data<float>().ToArray();
            topIds = indices.reshape(-1).to(CPU).data<long>().ToArray();
        }
        for (var b = 0; b < batch; b++)
        {
            var (sequence, start, count) = ((EngineSequence)chunks[b].Sequence, chunks[b].Start, chunks[b].Count);
            var wanted = sequence.PromptLogprobsTop ?? 0;
            for (var t = length - count; t < length; t++)
            {
                var predicted = start + t - (length - count) + 1;
                if (predicted >= sequence.PromptLength || predicted != sequence.PromptLogprobs!.Count + 1)
                {
                    continue;
                }
                var at = b * length + t;
                var alternatives = new TokenLogprob[wanted];
                for (var k = 0; k < wanted; k++)
                {
                    alternatives[k] = new TokenLogprob((int)topIds[at * top + k], topValues[at * top + k]);
                }
                sequence.PromptLogprobs.Add(new PromptTokenLogprob(sequence.Tokens[predicted], chosen[at], alternatives));
            }
        }
    }

    private static string Flush(EngineSequence sequence) =>
        sequence.Stops.Push(sequence.Detokenizer.Flush()) + sequence.Stops.Flush();

    private void Emit(EngineSequence sequence, SequenceOutput output, bool counted)
    {
        var now = Stopwatch.GetTimestamp();
        if (counted)
        {
            if (sequence.LastTokenTimestamp == 0)
            {
                _metrics?.FirstToken(Name, sequence.Priority, Stopwatch.GetElapsedTime(sequence.ArrivalTimestamp, now).TotalSeconds);
            }
            else
            {
                _metrics?.NextToken(Name, sequence.Priority, Stopwatch.GetElapsedTime(sequence.LastTokenTimestamp, now).TotalSeconds);
            }
            sequence.LastTokenTimestamp = now;
            _metrics?.Generated(Name, sequence.Priority);
            _rateWindow.Enqueue((now, 1));
        }
        if (sequence.PromptLogprobs is { } promptLogprobs && !sequence.PromptLogprobsSent)
        {
            output = output with { PromptLogprobs = promptLogprobs };
            sequence.PromptLogprobsSent = true;
        }
        sequence.Output.Writer.TryWrite(output);
        if (output.FinishReason is not null)
        {
            Finish(sequence, null);
        }
    }

    private void Finish(EngineSequence sequence, Exception? error)
    {
        if (sequence.Done)
        {
            return;
        }
        sequence.Done = true;
        _scheduler.Remove(sequence);
        if (sequence.Adapter is { } adapter)
        {
            Adapters?.Release(adapter);
        }
        sequence.Output.Writer.TryComplete(error);
    }

    private ServingStats Snapshot()
    {
        var waiting = new int[3];
        var running = new int[3];
        foreach (var s in _scheduler.Waiting)
        {
            waiting[(int)s.Priority]++;
        }
        foreach (var s in _scheduler.Running)
        {
            running[(int)s.Priority]++;
        }
        var now = Stopwatch.GetTimestamp();
        while (_rateWindow.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.Timestamp, now) > TimeSpan.FromSeconds(5))
        {
            _rateWindow.Dequeue();
        }
        return new ServingStats
        {
            Waiting = waiting,
            Running = running,
            KvBlocksUsed = _scheduler.Blocks.UsedBlocks,
            KvBlocksFree = _scheduler.Blocks.AvailableBlocks,
            PrefixQueriedTokens = _scheduler.PrefixQueriedTokens,
            PrefixHitTokens = _scheduler.PrefixHitTokens,
            Preemptions = _scheduler.PreemptionCount,
            AdmissionNewTokenRatio = _scheduler.NewTokenRatio,
            Cancelled = _cancelledCount,
            AdapterStackBuilds = _adapterStackBuilds,
            Phases = _phases,
            TokensPerSecond = _rateWindow.Count / 5.0,
        };
    }

    /// <summary>
    /// Stops the loop after the current step and waits for it; unfinished sequences fail with
    /// <see cref="OperationCanceledException"/>. Native memory is left to <see cref="Dispose"/>.
    /// Thread-safe: every caller returns after the loop has ended.
    /// </summary>
    public void Stop()
    {
        lock (_lifecycle)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            _signal.Set();
            _thread.Join();
            _metrics?.Unregister(Name);
        }
    }

    /// <summary>
    /// <see cref="Stop"/>, then frees the KV pool and the batch's LoRA tensors (also after an earlier
    /// <see cref="Stop"/>). The model and the adapter registry belong to the caller. Thread-safe and
    /// idempotent: the tensors are freed once, and every caller returns after that (two threads freeing
    /// the same tensors is a native double free; docs/serving.md, "Native crash").
    /// </summary>
    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Stop();
            _delta?.Dispose();
            _delta = null;
            _pool.Dispose();
        }
    }
}
