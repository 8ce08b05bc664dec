namespace Platform.Inference.Generation;

/// <summary>A token id and its log-probability under the model's raw (unpenalised, temperature 1) distribution.</summary>
public sealed record TokenLogprob(int TokenId, double Logprob);
