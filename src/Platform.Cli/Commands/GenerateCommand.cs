using System.Text.Json;
using Platform.Inference;
using Platform.Inference.Chat;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;

namespace Platform.Cli.Commands;

/// <summary>`./platform generate`: loads a Hugging Face model folder and completes one prompt.</summary>
public sealed class GenerateCommand : ICommand
{
    public string Name => "generate";

    public string Summary => "complete a prompt with a local model (--model DIR --prompt TEXT [--chat] [--device cuda] [--json])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = Options.Parse(args, "json", "chat");
        var directory = options.Require("model");
        var prompt = options.Require("prompt");
        var parameters = EngineOptions.Sampling(options);
        LoadedModel loaded;
        try
        {
            loaded = ModelLoader.Load(directory, EngineOptions.Device(options));
        }
        catch (ModelLoadException e)
        {
            throw new CommandLineError(e.Message);
        }
        using (loaded)
        {
            var promptIds = options.Has("chat") ? ChatPrompt(loaded, prompt, options.Get("system")) : loaded.Tokenizer.Encode(prompt);
            var generator = loaded.CreateGenerator();
            if (!options.Has("json"))
            {
                foreach (var token in generator.Generate(promptIds, parameters, cancellationToken))
                {
                    Console.Write(token.Text);
                }
                Console.WriteLine();
                return Task.FromResult(0);
            }
            var result = generator.Complete(promptIds, parameters, cancellationToken);
            var output = new Dictionary<string, object>
            {
                ["text"] = result.Text,
                ["token_ids"] = result.TokenIds,
                ["prompt_token_ids"] = result.PromptTokenIds,
                ["finish_reason"] = result.FinishReason.ToApiString(),
                ["tokens_per_second"] = Math.Round(result.TokensPerSecond, 2),
            };
            if (parameters.Logprobs)
            {
                output["logprobs"] = result.Tokens.Select(t => new
                {
                    token_id = t.TokenId,
                    logprob = t.Logprob,
                    top_logprobs = t.TopLogprobs?.Select(a => new { token_id = a.TokenId, logprob = a.Logprob }),
                });
            }
            Console.WriteLine(JsonSerializer.Serialize(output));
            return Task.FromResult(0);
        }
    }

    private static IReadOnlyList<int> ChatPrompt(LoadedModel loaded, string prompt, string? system)
    {
        var template = loaded.ChatTemplate
            ?? throw new CommandLineError($"{directoryName(loaded)} has no chat template this engine recognises (ChatML, Llama 3, Llama 2/Mistral [INST])");
        var messages = new List<ChatMessage>();
        if (system is not null)
        {
            messages.Add(new ChatMessage("system", system));
        }
        messages.Add(new ChatMessage("user", prompt));
        return loaded.Tokenizer.Encode(template.Render(messages), addSpecialTokens: false);

        static string directoryName(LoadedModel m) => Path.Combine(m.Directory, "tokenizer_config.json");
    }
}
