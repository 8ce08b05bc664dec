using Platform.Inference.Kernels;
using Platform.Inference.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>
/// PEFT's trainable tokens (<c>trainable_token_indices</c>): the adapter's own copy of selected rows
/// of the embedding table, trained while the table stays frozen. Inputs of those ids read the
/// adapter's rows and, with a tied output head, the logits of those ids are the hidden state times
/// the adapter's rows — the model behaves exactly as if those rows of the table were replaced.
/// Starts as a copy of the base rows, so the adapted model starts equal to the base.
/// </summary>
public sealed class TrainableTokens : ITokenDelta, IDisposable
{
    private readonly Tensor _ids;
    private readonly Tensor _slotOf;

    private TrainableTokens(IReadOnlyList<int> indices, Parameter rows, long vocab)
    {
        Indices = indices;
        Rows = rows;
        _ids = tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64).to(rows.device).DetachFromDisposeScope();
        var slotOf = full(vocab, -1L, ScalarType.Int64);
        for (var k = 0; k < indices.Count; k++)
        {
            slotOf[indices[k]] = k;
        }
        _slotOf = slotOf.to(rows.device).DetachFromDisposeScope();
    }

    /// <summary>The token ids whose rows are replaced, in row order.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>The replacement rows [indices, hidden] (PEFT's <c>trainable_tokens_delta</c>).</summary>
    public Parameter Rows { get; }

    /// <summary>A copy of the base rows of <paramref name="indices"/> (distinct ids inside the vocabulary).</summary>
    public static TrainableTokens Create(LlamaForCausalLM model, IReadOnlyList<int> indices)
    {
        var table = model.Embeddings;
        Check(indices, table.shape[0]);
        using var noGrad = no_grad();
        using var ids = tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64).to(model.Device);
        var rows = table.index_select(0, ids).clone().DetachFromDisposeScope();
        return new TrainableTokens(indices, new Parameter(rows, requires_grad: true), table.shape[0]);
    }

    /// <summary>Rows read from an adapter file: <paramref name="rows"/> [indices, hidden], checked against <paramref name="model"/>.</summary>
    public static TrainableTokens FromTensor(LlamaForCausalLM model, IReadOnlyList<int> indices, Tensor rows)
    {
        var table = model.Embeddings;
        Check(indices, table.shape[0]);
        if (!rows.shape.SequenceEqual([indices.Count, table.shape[1]]))
        {
            throw new ArgumentException(
                $"trainable_tokens_delta must be [{indices.Count}, {table.shape[1]}], got [{string.Join(", ", rows.shape)}]", nameof(rows));
        }
        var copy = rows.to(ScalarType.Float32).to(model.Device).detach().clone().DetachFromDisposeScope();
        return new TrainableTokens(indices, new Parameter(copy, requires_grad: true), table.shape[0]);
    }

    private static void Check(IReadOnlyList<int> indices, long vocab)
    {
        if (indices.Count == 0 || indices.Any(i => i < 0 || i >= vocab) || indices.Distinct().Count() != indices.Count)
        {
            throw new ArgumentException($"trainable_token_indices must be distinct token ids in [0, {vocab})", nameof(indices));
        }
    }

    /// <inheritdoc />
    public Tensor Embed(Tensor inputIds, Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var slots = _slotOf.index_select(0, inputIds.reshape(-1));
        var rows = Rows.index_select(0, slots.clamp_min(0)).view(embeddings.shape);
        var mine = slots.ge(0).view([.. inputIds.shape, 1]);
        return where(mine, rows, embeddings).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden, Tensor logits)
    {
        using var scope = NewDisposeScope();
        var own = hidden.matmul(Rows.t());
        return logits.index_copy(logits.dim() - 1, _ids, own).MoveToOuterDisposeScope();
    }

    /// <summary>Writes the rows into <paramref name="model"/>'s embedding table (for merged serving and tests).</summary>
    public void MergeInto(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        model.Embeddings.index_copy_(0, _ids, Rows);
        CpuGemv.ForgetPacked();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Rows.Dispose();
        _ids.Dispose();
        _slotOf.Dispose();
    }
}
