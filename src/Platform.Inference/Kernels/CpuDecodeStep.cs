using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using Platform.Inference.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Kernels;

/// <summary>
/// One batch-1 decode step of <see cref="LlamaForCausalLM"/> on the CPU in C#, without a LibTorch
/// operator per norm, rotation, residual or attention: a 110M-parameter step is about 480 small operators,
/// each costing microseconds of dispatch that the weights' memory traffic does not hide on two cores
/// (docs/performance.md, "Inference engine"). The same arithmetic as the module path — RMSNorm,
/// rotate-half RoPE, grouped-query attention over the <see cref="DenseKvCache"/>, SwiGLU — with
/// <see cref="CpuGemv"/> for every product and <see cref="TensorPrimitives"/> for the vector work,
/// reading the model's own weight tensors and writing the cache in place; its logits match the module path's
/// (Kernels/CpuDecodeStepTests). It applies only to F32 weights on the CPU with no adapter or token
/// rows set; anything else runs the module path. Like the model, one thread drives it at a time.
/// </summary>
public sealed unsafe class CpuDecodeStep
{
    private readonly LlamaConfig _config;
    private readonly Layer[] _layers;
    private readonly float* _embeddings;
    private readonly float* _finalNorm;
    private readonly float* _head;
    private readonly Tensor[] _keepAlive;
    private readonly double[] _inverseFrequencies;

    // Scratch, pinned so raw pointers into it stay valid.
    private readonly float[] _x, _normed, _q, _k, _v, _attended, _gate, _up, _sigmoid, _cos, _sin;
    private float[] _scores = [];

    private sealed class Layer(float* inputNorm, float* postNorm, Product q, Product k, Product v, Product o, Product gate, Product up, Product down)
    {
        public float* InputNorm { get; } = inputNorm;
        public float* PostNorm { get; } = postNorm;
        public Product Q { get; } = q;
        public Product K { get; } = k;
        public Product V { get; } = v;
        public Product O { get; } = o;
        public Product Gate { get; } = gate;
        public Product Up { get; } = up;
        public Product Down { get; } = down;
    }

    private readonly struct Product(float* weight, float* bias, int rows, int cols)
    {
        public float* Weight { get; } = weight;
        public float* Bias { get; } = bias;
        public int Rows { get; } = rows;
        public int Cols { get; } = cols;
    }

    private CpuDecodeStep(LlamaForCausalLM model)
    {
        _config = model.Config;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        var keep = new List<Tensor>();
        float* Pointer(Tensor t)
        {
            keep.Add(t);
            return (float*)t.storage<float>().data_ptr() + t.storage_offset();
        }
        Product Of(string key)
        {
            var weight = parameters[key + ".weight"];
            return new Product(Pointer(weight), parameters.TryGetValue(key + ".bias", out var bias) ? Pointer(bias) : null,
                (int)weight.shape[0], (int)weight.shape[1]);
        }
        _layers = new Layer[_config.NumHiddenLayers];
        for (var l = 0; l < _layers.Length; l++)
        {
            var prefix = $"model.layers.{l}";
            _layers[l] = new Layer(
                Pointer(parameters[prefix + ".input_layernorm.weight"]), Pointer(parameters[prefix + ".post_attention_layernorm.weight"]),
                Of(prefix + ".self_attn.q_proj"), Of(prefix + ".self_attn.k_proj"), Of(prefix + ".self_attn.v_proj"), Of(prefix + ".self_attn.o_proj"),
                Of(prefix + ".mlp.gate_proj"), Of(prefix + ".mlp.up_proj"), Of(prefix + ".mlp.down_proj"));
        }
        _embeddings = Pointer(parameters["model.embed_tokens.weight"]);
        _finalNorm = Pointer(parameters["model.norm.weight"]);
        _head = model.HasTiedHead ? _embeddings : Pointer(parameters["lm_head.weight"]);
        _keepAlive = [.. keep];
        _inverseFrequencies = RotaryEmbedding.InverseFrequencies(_config);

        int hidden = _config.HiddenSize, q = _config.NumAttentionHeads * _config.HeadDim, kv = _config.NumKeyValueHeads * _config.HeadDim;
        _x = Pinned(hidden);
        _normed = Pinned(Math.Max(hidden, q));
        _q = Pinned(q);
        _k = Pinned(kv);
        _v = Pinned(kv);
        _attended = Pinned(q);
        _gate = Pinned(_config.IntermediateSize);
        _up = Pinned(_config.IntermediateSize);
        _sigmoid = Pinned(_config.IntermediateSize);
        _cos = Pinned(_config.HeadDim);
        _sin = Pinned(_config.HeadDim);
    }

    /// <summary>Turns the step off (for comparing with the module path in benchmarks and tests).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>The step for <paramref name="model"/>, or null when its weights are not F32 on the CPU or the CPU lacks the SIMD the kernel needs.</summary>
    public static CpuDecodeStep? TryCreate(LlamaForCausalLM model)
    {
        if (!CpuGemv.Supported || model.Device.type != DeviceType.CPU)
        {
            return null;
        }
        foreach (var (_, parameter) in model.named_parameters())
        {
            if (parameter.dtype != ScalarType.Float32 || !parameter.is_contiguous())
            {
                return null;
            }
        }
        return new CpuDecodeStep(model);
    }

    /// <summary>
    /// Logits [1, 1, vocab] for <paramref name="token"/> at the cache's next position; the cache gets the
    /// token's keys and values and advances by one, as after the module path's forward.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    public Tensor Forward(long token, DenseKvCache cache)
    {
        int hidden = _config.HiddenSize, heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, headDim = _config.HeadDim;
        var position = cache.SequenceLength;
        cache.EnsureCapacity(position + 1);
        var threads = CpuGemv.Threads ?? get_num_threads();
        var eps = (float)_config.RmsNormEps;
        Rotation(position);

        fixed (float* x = _x, normed = _normed, q = _q, k = _k, v = _v, attended = _attended, gate = _gate, up = _up)
        {
            new ReadOnlySpan<float>(_embeddings + token * hidden, hidden).CopyTo(_x);
            for (var l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                Normalize(x, layer.InputNorm, normed, hidden, eps);
                MultiplyTogether(threads, (layer.Q, (IntPtr)normed, (IntPtr)q), (layer.K, (IntPtr)normed, (IntPtr)k), (layer.V, (IntPtr)normed, (IntPtr)v));
                for (var h = 0; h < heads; h++)
                {
                    Rotate(q + h * headDim, headDim);
                }
                var (keyStorage, valueStorage) = cache.Storage(l);
                float* keys = Data(keyStorage), values = Data(valueStorage);
                var capacity = (int)keyStorage.shape[2];
                for (var g = 0; g < kvHeads; g++)
                {
                    Rotate(k + g * headDim, headDim);
                    new ReadOnlySpan<float>(k + g * headDim, headDim).CopyTo(new Span<float>(keys + ((long)g * capacity + position) * headDim, headDim));
                    new ReadOnlySpan<float>(v + g * headDim, headDim).CopyTo(new Span<float>(values + ((long)g * capacity + position) * headDim, headDim));
                }
                Attend(q, keys, values, attended, capacity, position + 1);
                GC.KeepAlive(keyStorage);
                GC.KeepAlive(valueStorage);
                Multiply(layer.O, attended, normed, threads);
                TensorPrimitives.Add(_x.AsSpan(0, hidden), _normed.AsSpan(0, hidden), _x.AsSpan(0, hidden));

                Normalize(x, layer.PostNorm, normed, hidden, eps);
                MultiplyTogether(threads, (layer.Gate, (IntPtr)normed, (IntPtr)gate), (layer.Up, (IntPtr)normed, (IntPtr)up));
                // SwiGLU: silu(gate) · up, with silu(g) = g · sigmoid(g).
                TensorPrimitives.Sigmoid(_gate, _sigmoid);
                TensorPrimitives.Multiply(_gate, _sigmoid, _gate);
                TensorPrimitives.Multiply(_gate, _up, _gate);
                Multiply(layer.Down, gate, normed, threads);
                TensorPrimitives.Add(_x.AsSpan(0, hidden), _normed.AsSpan(0, hidden), _x.AsSpan(0, hidden));
            }
            Normalize(x, _finalNorm, normed, hidden, eps);
            var logits = empty([1, 1, _config.VocabSize], ScalarType.Float32);
            CpuGemv.Multiply(_head, normed, Data(logits), _config.VocabSize, hidden, 1, threads);
            cache.Advance(1);
            GC.KeepAlive(_keepAlive);
            return logits;
        }
    }

    private static void Multiply(Product p, float* input, float* output, int threads)
    {
        CpuGemv.Multiply(p.Weight, input, output, p.Rows, p.Cols, 1, threads);
        AddBias(p, output);
    }

    private static void MultiplyTogether(int threads, params ReadOnlySpan<(Product P, IntPtr Input, IntPtr Output)> products)
    {
        Span<CpuGemv.Product> gemvs = stackalloc CpuGemv.Product[products.Length];
        for (var i = 0; i < products.Length; i++)
        {
            var (p, input, output) = products[i];
            gemvs[i] = new CpuGemv.Product(p.Weight, (float*)input, (float*)output, p.Rows, p.Cols);
        }
        CpuGemv.MultiplyTogether(gemvs, Math.Clamp(threads, 1, Math.Max(1, products[0].P.Rows / 64)));
        foreach (var (p, _, output) in products)
        {
            AddBias(p, (float*)output);
        }
    }

    private static void AddBias(Product p, float* output)
    {
        if (p.Bias is not null)
        {
            TensorPrimitives.Add(new ReadOnlySpan<float>(output, p.Rows), new ReadOnlySpan<float>(p.Bias, p.Rows), new Span<float>(output, p.Rows));
        }
    }

    /// <summary>RMSNorm as the module computes it: x · rsqrt(mean(x²) + eps) · weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private static void Normalize(float* x, float* weight, float* output, int size, float eps)
    {
        var input = new ReadOnlySpan<float>(x, size);
        var result = new Span<float>(output, size);
        var scale = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(input) / size + eps);
        TensorPrimitives.Multiply(input, scale, result);
        TensorPrimitives.Multiply(result, new ReadOnlySpan<float>(weight, size), result);
    }

    /// <summary>This position's cos/sin (half-split layout), computed as <see cref="RotaryEmbedding"/> builds its tables.</summary>
    private void Rotation(int position)
    {
        var half = _inverseFrequencies.Length;
        for (var i = 0; i < half; i++)
        {
            var angle = position * _inverseFrequencies[i];
            _cos[i] = _cos[half + i] = (float)Math.Cos(angle);
            _sin[i] = _sin[half + i] = (float)Math.Sin(angle);
        }
    }

    /// <summary>x·cos + rotate_half(x)·sin in place, rotate_half(x) = [−x₂, x₁].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private void Rotate(float* x, int headDim)
    {
        var half = headDim / 2;
        for (var i = 0; i < half; i++)
        {
            float a = x[i], b = x[half + i];
            x[i] = a * _cos[i] + -b * _sin[i];
            x[half + i] = b * _cos[half + i] + a * _sin[half + i];
        }
    }

    /// <summary>Softmax(q·kᵀ/√d)·v per query head over the first <paramref name="length"/> cached positions of its KV head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a kernel: fully optimised from its first call, not after tiering
    private void Attend(float* q, float* keys, float* values, float* output, int capacity, int length)
    {
        int heads = _config.NumAttentionHeads, group = heads / _config.NumKeyValueHeads, headDim = _config.HeadDim;
        if (_scores.Length < heads * length)
        {
            _scores = GC.AllocateUninitializedArray<float>(Math.Max(heads * length * 2, 1024), pinned: true);
        }
        var scale = 1f / MathF.Sqrt(headDim);
        var scores = (float*)Unsafe.AsPointer(ref _scores[0]);
        void Head(int h)
        {
            var kv = h / group;
            float* query = q + h * headDim, k = keys + (long)kv * capacity * headDim, v = values + (long)kv * capacity * headDim;
            var weights = new Span<float>(scores + (long)h * length, length);
            var queryRow = new ReadOnlySpan<float>(query, headDim);
            for (var j = 0; j < length; j++)
            {
                weights[j] = TensorPrimitives.Dot(queryRow, new ReadOnlySpan<float>(k + (long)j * headDim, headDim)) * scale;
            }
            var max = TensorPrimitives.Max(weights);
            TensorPrimitives.Subtract(weights, max, weights);
            TensorPrimitives.Exp(weights, weights);
            TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
            var result = new Span<float>(output + h * headDim, headDim);
            result.Clear();
            for (var j = 0; j < length; j++)
            {
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)j * headDim, headDim), weights[j], result, result);
            }
        }
        if (length < 64)
        {
            for (var h = 0; h < heads; h++)
            {
                Head(h);
            }
        }
        else
        {
            Parallel.For(0, heads, Head);
        }
    }

    private static float* Data(Tensor t) => (float*)t.storage<float>().data_ptr() + t.storage_offset();

    private static float[] Pinned(int length) => GC.AllocateUninitializedArray<float>(length, pinned: true);
}
