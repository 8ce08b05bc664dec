namespace Platform.Services.Inference.OpenAi;

/// <summary>A client error to answer in OpenAI's shape (status, type, message, param, code).</summary>
public sealed class ApiError(int status, string message, string? param = null, string? code = null, string type = "invalid_request_error")
    : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public IResult ToResult() => Platform.ServiceDefaults.ErrorResults.OpenAi(Status, Type, Message, Param, Code);
}
