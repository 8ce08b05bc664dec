using Platform.Ingestion.Parsing;

namespace Platform.Ingestion.Chunking;

/// <summary>A block, or part of an oversized block, that the packer places whole.</summary>
internal sealed record Piece(BlockKind Kind, int Start, int End, int Tokens, int? Page, IReadOnlyList<string> HeadingPath);
