using Platform.Inference.Checkpoints;

namespace Platform.Inference.Embeddings;

/// <summary>The fields of a Hugging Face BERT <c>config.json</c> the encoder needs.</summary>
public sealed record BertConfig(
    int VocabSize,
    int HiddenSize,
    int Layers,
    int Heads,
    int IntermediateSize,
    int MaxPositions,
    int TypeVocabSize,
    double LayerNormEps)
{
    public int HeadDim => HiddenSize / Heads;

    public static BertConfig Load(string path)
    {
        var json = JsonFile.Load(path);
        var type = json.GetString("model_type");
        if (type is not null && type != "bert")
        {
            throw json.Error("model_type", $"is '{type}'; only BERT-family encoders (model_type 'bert') are supported");
        }
        var activation = json.GetString("hidden_act") ?? "gelu";
        if (activation != "gelu")
        {
            throw json.Error("hidden_act", $"is '{activation}'; only 'gelu' is supported");
        }
        var config = new BertConfig(
            json.RequireInt("vocab_size"), json.RequireInt("hidden_size"), json.RequireInt("num_hidden_layers"),
            json.RequireInt("num_attention_heads"), json.RequireInt("intermediate_size"),
            json.GetInt("max_position_embeddings") ?? 512, json.GetInt("type_vocab_size") ?? 2,
            json.GetDouble("layer_norm_eps") ?? 1e-12);
        if (config.HiddenSize % config.Heads != 0)
        {
            throw json.Error("num_attention_heads", "must divide hidden_size");
        }
        return config;
    }
}
