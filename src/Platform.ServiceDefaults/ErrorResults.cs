using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults;

/// <summary>
/// Client errors in the shape the client expects: OpenAI's <c>{"error":{message,type,param,code}}</c>
/// on the OpenAI-compatible /v1 routes, RFC 7807 ProblemDetails everywhere else.
/// </summary>
public static class ErrorResults
{
    public static IResult For(HttpContext context, int status, string type, string message, string? param = null, string? code = null) =>
        context.Request.Path.StartsWithSegments("/v1")
            ? OpenAi(status, type, message, param, code)
            : TypedResults.Problem(statusCode: status, title: type.Replace('_', ' '), detail: message,
                extensions: param is null ? null : new Dictionary<string, object?> { ["field"] = param });

    public static IResult OpenAi(int status, string type, string message, string? param = null, string? code = null) =>
        TypedResults.Json(new OpenAiErrorBody(new OpenAiError(message, type, param, code)), statusCode: status);
}

public sealed record OpenAiErrorBody([property: JsonPropertyName("error")] OpenAiError Error);

public sealed record OpenAiError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
