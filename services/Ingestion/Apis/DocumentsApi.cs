using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Platform.Data;
using Platform.Ingestion.Pipeline;
using Platform.Ingestion.Storage;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;

namespace Platform.Services.Ingestion.Apis;

/// <summary>
/// /v1/knowledge-bases/{kb}/documents: upload (multipart, streamed to storage), list, get, delete,
/// re-ingest, and the chunks of a document.
/// </summary>
public static class DocumentsApi
{
    public static RouteGroupBuilder MapDocumentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/knowledge-bases/{kbId:guid}/documents").RequireCaller();
        api.MapPost("/", Upload).RequireCaller("ingest").DisableAntiforgery();
        api.MapGet("/", List).AddEndpointFilter(ReadScope.Filter);
        api.MapGet("/{docId:guid}", Get).AddEndpointFilter(ReadScope.Filter);
        api.MapGet("/{docId:guid}/chunks", Chunks).AddEndpointFilter(ReadScope.Filter);
        api.MapDelete("/{docId:guid}", Delete).RequireCaller("ingest");
        api.MapPost("/{docId:guid}/reingest", Reingest).RequireCaller("ingest");
        return api;
    }

    private static async Task<IResult> Upload(Guid kbId, HttpContext http, DocumentStore store, DocumentFiles files, IngestionOptions options,
        IngestionEvents events, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxUploadBytes + 1024 * 1024; // room for the multipart framing
        }
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) ||
            !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return KnowledgeBasesApi.Invalid(http, "file", "Upload the document as multipart/form-data with a 'file' part.");
        }
        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = options.MaxUploadBytes + 1024 * 1024 };
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                !disposition.IsFileDisposition() || disposition.Name.Value != "file")
            {
                continue;
            }
            var fileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
            if (fileName.Length is 0 or > 255)
            {
                return KnowledgeBasesApi.Invalid(http, "file", "The file part needs a file name of 1 to 255 characters.");
            }
            var staged = await files.StageAsync(section.Body, options.MaxUploadBytes, ct);
            if (staged.OverLimit)
            {
                var reason = $"The file is larger than the {options.MaxUploadBytes / (1024.0 * 1024):0.#} MiB upload limit.";
                var failed = await store.AddFailedAsync(tenant, kbId, fileName, section.ContentType, staged.Size, reason, ct);
                return failed is null
                    ? KnowledgeBasesApi.NotFound(http, kbId)
                    : ErrorResults.For(http, StatusCodes.Status413PayloadTooLarge, "invalid_request_error", reason, "file", "file_too_large");
            }
            var documentId = Guid.CreateVersion7();
            try
            {
                files.Commit(staged.TempPath, tenant, kbId, documentId);
                var added = await store.AddAsync(tenant, kbId, documentId, fileName, section.ContentType, staged.Size, staged.Sha256, options.MaxAttempts, ct);
                if (added is null)
                {
                    files.DeleteDocument(tenant, kbId, documentId);
                    return KnowledgeBasesApi.NotFound(http, kbId);
                }
                if (!added.Created)
                {
                    files.DeleteDocument(tenant, kbId, documentId);
                    return TypedResults.Ok(DocumentResponse.From(added.Document));
                }
                await events.PublishAsync(tenant, new IngestionEvent("document.status", kbId, documentId, DocumentStatus.Queued, "queued"));
                return TypedResults.Accepted($"/v1/knowledge-bases/{kbId}/documents/{documentId}", DocumentResponse.From(added.Document));
            }
            catch
            {
                DocumentFiles.Discard(staged.TempPath);
                files.DeleteDocument(tenant, kbId, documentId);
                throw;
            }
        }
        return KnowledgeBasesApi.Invalid(http, "file", "The request has no 'file' part.");
    }

    private static async Task<IResult> List(Guid kbId, HttpContext http, DocumentStore store, CancellationToken ct) =>
        await store.ListAsync(http.GetCaller()!.TenantId, kbId, ct) is { } documents
            ? TypedResults.Ok(new ListResponse<DocumentResponse>("list", documents.Select(DocumentResponse.From).ToList()))
            : KnowledgeBasesApi.NotFound(http, kbId);

    private static async Task<IResult> Get(Guid kbId, Guid docId, HttpContext http, DocumentStore store, CancellationToken ct) =>
        await store.GetAsync(http.GetCaller()!.TenantId, kbId, docId, ct) is { } document
            ? TypedResults.Ok(DocumentResponse.From(document))
            : DocumentNotFound(http, docId);

    private static async Task<IResult> Chunks(Guid kbId, Guid docId, HttpContext http, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, http.GetCaller()!.TenantId, ct);
        var document = await DocumentStore.GetAsync(scope, docId, ct);
        if (document is null || document.KnowledgeBaseId != kbId)
        {
            return DocumentNotFound(http, docId);
        }
        var chunks = await ChunkSearch.ListForDocumentAsync(scope, docId, ct);
        return TypedResults.Ok(new ListResponse<ChunkResponse>("list", chunks.Select(c => ChunkResponse.From(c, document.FileName)).ToList()));
    }

    private static async Task<IResult> Delete(Guid kbId, Guid docId, HttpContext http, DocumentStore store, DocumentFiles files, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        if (!await store.DeleteAsync(tenant, kbId, docId, ct))
        {
            return DocumentNotFound(http, docId);
        }
        files.DeleteDocument(tenant, kbId, docId);
        return TypedResults.Ok(new DeletedResponse(docId, "knowledge_base.document.deleted", true));
    }

    private static async Task<IResult> Reingest(Guid kbId, Guid docId, HttpContext http, DocumentStore store, IngestionOptions options,
        IngestionEvents events, CancellationToken ct)
    {
        var tenant = http.GetCaller()!.TenantId;
        var document = await store.ReingestAsync(tenant, kbId, docId, options.MaxAttempts, ct);
        if (document is null)
        {
            return DocumentNotFound(http, docId);
        }
        if (document.ContentHash.Length == 0)
        {
            return ErrorResults.For(http, StatusCodes.Status409Conflict, "invalid_request_error",
                "This document was refused at upload and has no stored file to ingest again; upload it again.");
        }
        await events.PublishAsync(tenant, new IngestionEvent("document.status", kbId, docId, document.Status, "queued"));
        return TypedResults.Accepted($"/v1/knowledge-bases/{kbId}/documents/{docId}", DocumentResponse.From(document));
    }

    private static IResult DocumentNotFound(HttpContext http, Guid docId) =>
        ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No document '{docId}'.", code: "document_not_found");
}
