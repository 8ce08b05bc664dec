using System.Text.Json;
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
/// /v1/knowledge-bases/{kb}/documents: upload (multipart, streamed to storage, with tags and date), list, get,
/// change tags/date (PATCH), delete,
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
        api.MapPatch("/{docId:guid}", Patch).RequireCaller("ingest");
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
        var form = await UploadForm.ReadAsync(reader, files, options.MaxUploadBytes, ct);
        if (form.Staged is { OverLimit: true } over)
        {
            DocumentFiles.Discard(over.TempPath);
            var reason = $"The file is larger than the {options.MaxUploadBytes / (1024.0 * 1024):0.#} MiB upload limit.";
            var failed = await store.AddFailedAsync(tenant, kbId, form.FileName!, form.ContentType, over.Size, reason, ct);
            return failed is null
                ? KnowledgeBasesApi.NotFound(http, kbId)
                : ErrorResults.For(http, StatusCodes.Status413PayloadTooLarge, "invalid_request_error", reason, "file", "file_too_large");
        }
        string? field = null, message = null;
        DocumentMetadata? metadata = null;
        if (form.Error is { } formError)
        {
            (field, message) = formError;
        }
        else if (form.Staged is null)
        {
            (field, message) = ("file", "The request has no 'file' part.");
        }
        else
        {
            metadata = ParseMetadata(form, out field, out message);
        }
        if (metadata is null)
        {
            if (form.Staged is { } unused)
            {
                DocumentFiles.Discard(unused.TempPath);
            }
            return KnowledgeBasesApi.Invalid(http, field!, message!);
        }
        var staged = form.Staged!;
        var documentId = Guid.CreateVersion7();
        try
        {
            files.Commit(staged.TempPath, tenant, kbId, documentId);
            var added = await store.AddAsync(tenant, kbId, documentId, form.FileName!, form.ContentType, staged.Size, staged.Sha256, options.MaxAttempts,
                metadata, ct);
            if (added is null)
            {
                // Not this tenant's knowledge base (or deleted meanwhile): the folder the commit made is an orphan.
                files.DeleteKnowledgeBase(tenant, kbId);
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

    private static DocumentMetadata? ParseMetadata(UploadForm form, out string? field, out string? message)
    {
        (field, message) = (null, null);
        var tags = DocumentTags.Normalize(DocumentTags.SplitCommaSeparated(form.TagValues), out var tagError);
        if (tags is null)
        {
            (field, message) = ("tags", tagError);
            return null;
        }
        DateOnly? date = null;
        if (!string.IsNullOrWhiteSpace(form.Date))
        {
            if (!DocumentTags.TryParseDate(form.Date, out var parsed))
            {
                (field, message) = ("date", $"date '{form.Date.Trim()}' is not an ISO-8601 date (yyyy-MM-dd).");
                return null;
            }
            date = parsed;
        }
        return new DocumentMetadata(tags, date);
    }

    private static async Task<IResult> Patch(Guid kbId, Guid docId, UpdateDocumentRequest request, HttpContext http, DocumentStore store,
        CancellationToken ct)
    {
        IReadOnlyList<string>? tags = null;
        if (request.Tags is not null && (tags = DocumentTags.Normalize(request.Tags, out var tagError)) is null)
        {
            return KnowledgeBasesApi.Invalid(http, "tags", tagError!);
        }
        DateOnly? date = null;
        var clearDate = request.Date.ValueKind == JsonValueKind.Null;
        if (request.Date.ValueKind == JsonValueKind.String)
        {
            if (!DocumentTags.TryParseDate(request.Date.GetString(), out var parsed))
            {
                return KnowledgeBasesApi.Invalid(http, "date", $"date '{request.Date.GetString()}' is not an ISO-8601 date (yyyy-MM-dd).");
            }
            date = parsed;
        }
        else if (request.Date.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            return KnowledgeBasesApi.Invalid(http, "date", "date must be an ISO-8601 date string (yyyy-MM-dd) or null.");
        }
        if (tags is null && date is null && !clearDate)
        {
            return KnowledgeBasesApi.Invalid(http, "tags", "Nothing to change: give 'tags' and/or 'date'.");
        }
        return await store.UpdateMetadataAsync(http.GetCaller()!.TenantId, kbId, docId, tags, date, clearDate, ct) is { } document
            ? TypedResults.Ok(DocumentResponse.From(document))
            : DocumentNotFound(http, docId);
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
        if (document.Status == DocumentStatus.Failed)
        {
            return ErrorResults.For(http, StatusCodes.Status409Conflict, "invalid_request_error",
                "Another document of this knowledge base already holds the same content; re-ingest or delete that one instead.",
                code: "duplicate_content");
        }
        await events.PublishAsync(tenant, new IngestionEvent("document.status", kbId, docId, document.Status, "queued"));
        return TypedResults.Accepted($"/v1/knowledge-bases/{kbId}/documents/{docId}", DocumentResponse.From(document));
    }

    private static IResult DocumentNotFound(HttpContext http, Guid docId) =>
        ErrorResults.For(http, StatusCodes.Status404NotFound, "not_found_error", $"No document '{docId}'.", code: "document_not_found");
}
