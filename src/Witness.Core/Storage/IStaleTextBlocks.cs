namespace Witness.Storage;

/// <summary>
/// A store whose erasures leave the free-text blocks holding erased events to be rebuilt later (docs/erasure.md): the
/// erasure only records them as stale, and the server's loop (or <c>witness erase</c> when no server runs) rebuilds
/// them from the text as it is now, a batch per transaction, so appends keep flowing meanwhile.
/// </summary>
public interface IStaleTextBlocks
{
    /// <summary>Rebuilds up to <paramref name="maxBlocks"/> stale blocks of every tenant in one transaction; returns how many (0: none is left).</summary>
    Task<int> RebuildStaleTextBlocksAsync(int maxBlocks, CancellationToken ct);
}
