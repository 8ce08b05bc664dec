namespace Platform.Inference.Tests;

/// <summary>
/// A plain-loop Llama forward pass (no TorchSharp) following Hugging Face's modeling_llama:
/// RMSNorm, rotate-half RoPE (llama3/linear scaling), GQA, SwiGLU, optional q/k/v bias and tied head.
/// </summary>
internal sealed class NaiveLlama(RandomCheckpoint c)
{
    public float[][] Forward(int[] ids)
    {
        int T = ids.Length, D = c.Hidden, H = c.Heads, KV = c.KvHeads, hd = c.HeadDim;
        var x = new float[T][];
        for (var t = 0; t < T; t++)
        {
            x[t] = c.W["model.embed_tokens.weight"].AsSpan(ids[t] * D, D).ToArray();
        }
        var inv = InverseFrequencies();
        for (var l = 0; l < c.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            var q = new float[T][]; var k = new float[T][]; var v = new float[T][];
            for (var t = 0; t < T; t++)
            {
                var n = RmsNorm(x[t], c.W[p + "input_layernorm.weight"]);
                q[t] = Linear(n, p + "self_attn.q_proj", H * hd, c.QkvBias);
                k[t] = Linear(n, p + "self_attn.k_proj", KV * hd, c.QkvBias);
                v[t] = Linear(n, p + "self_attn.v_proj", KV * hd, c.QkvBias);
                Rope(q[t], H, t, inv);
                Rope(k[t], KV, t, inv);
            }
            for (var t = 0; t < T; t++)
            {
                var attn = new float[H * hd];
                for (var h = 0; h < H; h++)
                {
                    var kh = h / (H / KV);
                    var scores = new double[t + 1];
                    var max = double.NegativeInfinity;
                    for (var s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (var i = 0; i < hd; i++)
                        {
                            dot += (double)q[t][h * hd + i] * k[s][kh * hd + i];
                        }
                        scores[s] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, scores[s]);
                    }
                    double sum = 0;
                    for (var s = 0; s <= t; s++)
                    {
                        scores[s] = Math.Exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (var i = 0; i < hd; i++)
                    {
                        double acc = 0;
                        for (var s = 0; s <= t; s++)
                        {
                            acc += scores[s] / sum * v[s][kh * hd + i];
                        }
                        attn[h * hd + i] = (float)acc;
                    }
                }
                var o = Linear(attn, p + "self_attn.o_proj", D, false);
                for (var i = 0; i < D; i++)
                {
                    x[t][i] += o[i];
                }
                var n2 = RmsNorm(x[t], c.W[p + "post_attention_layernorm.weight"]);
                var gate = Linear(n2, p + "mlp.gate_proj", c.Intermediate, false);
                var up = Linear(n2, p + "mlp.up_proj", c.Intermediate, false);
                for (var i = 0; i < gate.Length; i++)
                {
                    gate[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
                }
                var down = Linear(gate, p + "mlp.down_proj", D, false);
                for (var i = 0; i < D; i++)
                {
                    x[t][i] += down[i];
                }
            }
        }
        var head = c.Tied ? "model.embed_tokens" : "lm_head";
        return x.Select(h => Linear(RmsNorm(h, c.W["model.norm.weight"]), head, c.Vocab, false)).ToArray();
    }

    private double[] InverseFrequencies()
    {
        var hd = c.HeadDim;
        var inv = new double[hd / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            var f = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / hd);
            if (c.Llama3Scaling)
            {
                // factor 8, low 1, high 4, original 32 (small so every band is exercised)
                double factor = 8, low = 1, high = 4, original = 32;
                var wavelength = 2 * Math.PI / f;
                if (wavelength > original / low)
                {
                    f /= factor;
                }
                else if (wavelength >= original / high)
                {
                    var smooth = (original / wavelength - low) / (high - low);
                    f = (1 - smooth) * f / factor + smooth * f;
                }
            }
            inv[i] = f;
        }
        return inv;
    }

    private void Rope(float[] x, int heads, int pos, double[] inv)
    {
        var hd = c.HeadDim;
        var half = hd / 2;
        for (var h = 0; h < heads; h++)
        {
            var b = h * hd;
            for (var i = 0; i < half; i++)
            {
                double cos = (float)Math.Cos(pos * inv[i]), sin = (float)Math.Sin(pos * inv[i]);
                double a = x[b + i], bb = x[b + half + i];
                x[b + i] = (float)(a * cos - bb * sin);
                x[b + half + i] = (float)(bb * cos + a * sin);
            }
        }
    }

    private float[] RmsNorm(float[] x, float[] w)
    {
        double ss = 0;
        foreach (var v in x)
        {
            ss += (double)v * v;
        }
        var scale = 1 / Math.Sqrt(ss / x.Length + c.Eps);
        return x.Select((v, i) => (float)(v * scale * w[i])).ToArray();
    }

    private float[] Linear(float[] x, string name, int outFeatures, bool bias)
    {
        var w = c.W[name + ".weight"];
        var result = new float[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            double acc = bias ? c.W[name + ".bias"][o] : 0;
            for (var i = 0; i < x.Length; i++)
            {
                acc += (double)w[o * x.Length + i] * x[i];
            }
            result[o] = (float)acc;
        }
        return result;
    }
}
