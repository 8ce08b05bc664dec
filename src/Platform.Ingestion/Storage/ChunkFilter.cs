using Npgsql;
using NpgsqlTypes;

namespace Platform.Ingestion.Storage;

/// <summary>
/// Metadata filters of a chunk search, applied in SQL on the chunk's document. Every set part must
/// hold: the document is one of <see cref="DocumentIds"/>, carries any of <see cref="TagsAny"/>, carries
/// all of <see cref="TagsAll"/>, and its date (the user-supplied one, else the upload day in UTC) lies
/// in [<see cref="DateFrom"/>, <see cref="DateTo"/>], both inclusive.
/// </summary>
public sealed record ChunkFilter(
    IReadOnlyList<Guid>? DocumentIds = null,
    IReadOnlyList<string>? TagsAny = null,
    IReadOnlyList<string>? TagsAll = null,
    DateOnly? DateFrom = null,
    DateOnly? DateTo = null)
{
    /// <summary>True when nothing is filtered.</summary>
    public bool IsEmpty => DocumentIds is null && TagsAny is null && TagsAll is null && DateFrom is null && DateTo is null;

    /// <summary>
    /// Validates raw request values (an empty tag list filters nothing); on failure returns null with the offending field name and a message.
    /// Dates are ISO-8601 (yyyy-MM-dd); tags follow <see cref="DocumentTags.Rule"/>.
    /// </summary>
    public static ChunkFilter? Parse(IReadOnlyList<Guid>? documentIds, IReadOnlyList<string?>? tagsAny, IReadOnlyList<string?>? tagsAll,
        string? dateFrom, string? dateTo, out string? field, out string? error)
    {
        IReadOnlyList<string>? any = null, all = null;
        DateOnly? from = null, to = null;
        (field, error) = (null, null);
        if (documentIds is { Count: > 1000 })
        {
            (field, error) = ("document_ids", "document_ids may list at most 1,000 documents.");
        }
        else if (tagsAny is not null && (any = DocumentTags.Normalize(tagsAny, out error)) is null)
        {
            field = "tags_any";
        }
        else if (tagsAll is not null && (all = DocumentTags.Normalize(tagsAll, out error)) is null)
        {
            field = "tags_all";
        }
        else if (dateFrom is not null && !TryDate(dateFrom, ref from))
        {
            (field, error) = ("date_from", $"date_from '{dateFrom}' is not an ISO-8601 date (yyyy-MM-dd).");
        }
        else if (dateTo is not null && !TryDate(dateTo, ref to))
        {
            (field, error) = ("date_to", $"date_to '{dateTo}' is not an ISO-8601 date (yyyy-MM-dd).");
        }
        else if (from > to)
        {
            (field, error) = ("date_from", $"date_from ({from:yyyy-MM-dd}) is after date_to ({to:yyyy-MM-dd}).");
        }
        return error is null ? new ChunkFilter(documentIds, any is { Count: > 0 } ? any : null, all is { Count: > 0 } ? all : null, from, to) : null;
    }

    private static bool TryDate(string text, ref DateOnly? date)
    {
        var ok = DocumentTags.TryParseDate(text, out var parsed);
        date = ok ? parsed : null;
        return ok;
    }

    /// <summary>
    /// " AND c.document_id = ANY(ARRAY(SELECT …))" for a chunk alias <c>c</c> and knowledge-base
    /// parameter <c>@kbs</c>, adding its parameters to <paramref name="cmd"/>; empty when nothing is filtered.
    /// </summary>
    /// <remarks>
    /// The matching documents are found first (an uncorrelated sub-select, evaluated once, using the
    /// documents' GIN index on tags) so the chunk predicate is a plain array membership test that an
    /// HNSW iterative scan can check per candidate.
    /// </remarks>
    internal string ToSql(NpgsqlCommand cmd)
    {
        if (IsEmpty)
        {
            return "";
        }
        var where = new List<string> { "d.knowledge_base_id = ANY(@kbs)" };
        if (DocumentIds is not null)
        {
            where.Add("d.id = ANY(@f_docs)");
            cmd.Parameters.AddWithValue("f_docs", DocumentIds.ToArray());
        }
        if (TagsAny is not null)
        {
            where.Add("d.tags && @f_any");
            cmd.Parameters.Add(new NpgsqlParameter("f_any", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = TagsAny.ToArray() });
        }
        if (TagsAll is not null)
        {
            where.Add("d.tags @> @f_all");
            cmd.Parameters.Add(new NpgsqlParameter("f_all", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = TagsAll.ToArray() });
        }
        const string day = "coalesce(d.document_date, (d.created_at AT TIME ZONE 'UTC')::date)";
        if (DateFrom is { } from)
        {
            where.Add($"{day} >= @f_from");
            cmd.Parameters.Add(new NpgsqlParameter("f_from", NpgsqlDbType.Date) { Value = from });
        }
        if (DateTo is { } to)
        {
            where.Add($"{day} <= @f_to");
            cmd.Parameters.Add(new NpgsqlParameter("f_to", NpgsqlDbType.Date) { Value = to });
        }
        return $" AND c.document_id = ANY(ARRAY(SELECT d.id FROM ingestion.documents d WHERE {string.Join(" AND ", where)}))";
    }
}
