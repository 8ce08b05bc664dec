using System.Text.Json;

namespace Platform.Services.Inference.OpenAi;

/// <summary>
/// OpenAI request fields this server does not implement. A request that sets one to anything but
/// its neutral value is refused with a 400 naming the field, rather than answered as if the field
/// were absent (a JSON-mode or tool-calling client would otherwise get free text back as a success).
/// </summary>
public static class UnsupportedFields
{
    /// <summary>Throws an <see cref="ApiError"/> for the first unsupported field set in <paramref name="body"/>.</summary>
    public static void Check(SamplingRequest body)
    {
        Refuse(IsSet(body.Tools), "tools", "tools (function calling) are not supported by this server");
        Refuse(IsSet(body.Functions), "functions", "functions (function calling) are not supported by this server");
        Refuse(IsSet(body.ToolChoice) && body.ToolChoice!.Value.ValueKind != JsonValueKind.String
            || body.ToolChoice is { ValueKind: JsonValueKind.String } choice && choice.GetString() != "none",
            "tool_choice", "tool_choice other than \"none\" is not supported: this server has no function calling");
        Refuse(IsSet(body.FunctionCall) && !(body.FunctionCall is { ValueKind: JsonValueKind.String } call && call.GetString() == "none"),
            "function_call", "function_call other than \"none\" is not supported: this server has no function calling");

        if (body is CompletionRequest completion)
        {
            Refuse(!string.IsNullOrEmpty(completion.Suffix), "suffix", "suffix (insertion) is not supported by this server");
            Refuse(completion.BestOf is { } bestOf && bestOf != 1, "best_of", "best_of other than 1 is not supported (one candidate per request)");
        }
    }

    // Null, an empty list and an empty object are the neutral values clients send by default.
    private static bool IsSet(JsonElement? value) => value switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => false,
        { ValueKind: JsonValueKind.Array } list => list.GetArrayLength() > 0,
        { ValueKind: JsonValueKind.Object } map => map.EnumerateObject().Any(),
        _ => true,
    };


    private static void Refuse(bool condition, string field, string message)
    {
        if (condition)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, message, field);
        }
    }
}
