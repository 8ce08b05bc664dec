using System.Text.RegularExpressions;
using Platform.Rag;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.Rag.Storage;

namespace Platform.Services.Rag.Apis;

/// <summary>/v1/rag/templates: a tenant's prompt templates (SK syntax); "default" is built in.</summary>
public static partial class TemplatesApi
{
    public const string DefaultName = "default";

    public const int MaxTemplateChars = 32768;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    internal static partial Regex NamePattern();

    public static RouteGroupBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rag/templates").RequireCaller("rag");
        api.MapGet("/", List);
        api.MapGet("/{name}", Get);
        api.MapPut("/{name}", Put);
        api.MapDelete("/{name}", Delete);
        return api;
    }

    private static async Task<IResult> List(HttpContext http, TemplateStore store, CancellationToken ct)
    {
        var own = await store.ListAsync(http.GetCaller()!.TenantId, ct);
        var all = new List<TemplateResponse> { new(DefaultName, "rag.template", RagPrompt.DefaultTemplate, 0) };
        all.AddRange(own.Select(From));
        return TypedResults.Ok(new ListResponse<TemplateResponse>("list", all));
    }

    private static async Task<IResult> Get(string name, HttpContext http, TemplateStore store, CancellationToken ct)
    {
        if (name == DefaultName)
        {
            return TypedResults.Ok(new TemplateResponse(DefaultName, "rag.template", RagPrompt.DefaultTemplate, 0));
        }
        return await store.GetAsync(http.GetCaller()!.TenantId, name, ct) is { } t ? TypedResults.Ok(From(t)) : NotFound(http, name);
    }

    private static async Task<IResult> Put(string name, TemplateRequest request, HttpContext http, TemplateStore store, CancellationToken ct)
    {
        if (!NamePattern().IsMatch(name) || name == DefaultName)
        {
            return SearchApi.Invalid(http, "name", "A template name is 1 to 64 letters, digits, '_', '.' or '-', and not 'default'.");
        }
        if (request.Template is null || request.Template.Length > MaxTemplateChars)
        {
            return SearchApi.Invalid(http, "template", $"template is required and at most {MaxTemplateChars:N0} characters.");
        }
        if (await RagPrompt.ValidateAsync(request.Template, ct) is { } problem)
        {
            return SearchApi.Invalid(http, "template", problem);
        }
        return TypedResults.Ok(From(await store.UpsertAsync(http.GetCaller()!.TenantId, name, request.Template, ct)));
    }

    private static async Task<IResult> Delete(string name, HttpContext http, TemplateStore store, CancellationToken ct) =>
        await store.DeleteAsync(http.GetCaller()!.TenantId, name, ct)
            ? TypedResults.Ok(new { name, @object = "rag.template.deleted", deleted = true })
            : NotFound(http, name);

    internal static IResult NotFound(HttpContext http, string name) =>
        ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No prompt template '{name}'.", "template", "template_not_found");

    private static TemplateResponse From(PromptTemplateRecord t) => new(t.Name, "rag.template", t.Template, t.UpdatedAt.ToUnixTimeSeconds());
}
