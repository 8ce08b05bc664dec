using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts;

namespace Platform.Services.Gateway.Apis;

/// <summary>Validation of a create-key request shared by the admin and the self-service APIs.</summary>
public static class ApiKeyRequests
{
    public sealed record Valid(string Name, IReadOnlyList<string> Scopes, int? ExpiresInDays);

    public static (Valid? Request, ProblemHttpResult? Problem) Validate(CreateApiKeyRequest request)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            return (null, Invalid("name", "A key needs a name of 1 to 100 characters."));
        }
        var scopes = request.Scopes is { Count: > 0 } s ? s.Distinct().ToList() : [Scopes.Inference, Scopes.Rag];
        if (scopes.FirstOrDefault(x => !Scopes.All.Contains(x)) is { } unknown)
        {
            return (null, Invalid("scopes", $"Unknown scope '{unknown}'; scopes are {string.Join(", ", Scopes.All)}."));
        }
        if (request.ExpiresInDays is < 1 or > 3650)
        {
            return (null, Invalid("expires_in_days", "expires_in_days must be between 1 and 3650."));
        }
        return (new Valid(name, scopes, request.ExpiresInDays), null);
    }

    public static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: message,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
