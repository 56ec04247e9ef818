namespace Witness.Storage;

/// <summary>
/// A store whose erasures leave the free-text blocks that held an erased value to be rebuilt afterwards (docs/erasure.md,
/// "Where the values are kept"): the erasure removes the values and records the blocks as stale; until a block is
/// rebuilt its trigram document still holds keys derived from the erased values (never the values), and search stays
/// exact because every candidate is checked against the text as it is now. The server's repair loop and
/// <c>witness erase</c> rebuild them.
/// </summary>
public interface IStaleTextBlockStore
{
    /// <summary>
    /// Rebuilds up to <paramref name="maxBlocks"/> of the tenant's stale free-text blocks from the events' text as it is
    /// now, in one short transaction, and forgets them as stale; answers how many it rebuilt (0: none is left). An
    /// unknown tenant has none.
    /// </summary>
    Task<int> RebuildStaleTextBlocksAsync(string tenant, int maxBlocks, CancellationToken ct);
}
