using Npgsql;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag.Apis;

/// <summary>GET /v1/rag/sessions: the caller's own conversations (same tenant and principal), most recent first.</summary>
public static class SessionListApi
{
    private const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapSessionListApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/rag/sessions", List).RequireCaller("rag");
        return app;
    }

    private static async Task<IResult> List(HttpContext http, NpgsqlDataSource dataSource, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return ErrorResults.For(http, StatusCodes.Status400BadRequest, "invalid_request_error",
                $"limit must be between 1 and {MaxLimit}.", "limit", "invalid_limit");
        }
        var caller = http.GetCaller()!;
        var sessions = await SessionListing.ListAsync(dataSource, caller.TenantId, caller.Principal, limit ?? 20, ct);
        return TypedResults.Ok(new
        {
            @object = "list",
            data = sessions.Select(s => new
            {
                id = s.Id,
                @object = "rag.session",
                title = s.Title,
                messages = s.Messages,
                created_at = s.CreatedAt.ToUnixTimeSeconds(),
                updated_at = s.UpdatedAt.ToUnixTimeSeconds(),
            }),
        });
    }
}
