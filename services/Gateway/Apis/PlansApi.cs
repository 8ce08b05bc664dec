using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Services.Gateway.Data;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Apis;

/// <summary>Platform-admin view of the plan catalogue (limits per plan).</summary>
public static class PlansApi
{
    public static RouteGroupBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/plans").AddEndpointFilter<AdminTokenFilter>();
        api.MapGet("/", ListPlans);
        return api;
    }

    private static async Task<Ok<IReadOnlyList<PlanLimits>>> ListPlans(PlanStore plans, CancellationToken ct) =>
        TypedResults.Ok(await plans.ListAsync(ct));
}
