namespace Witness.Storage;

/// <summary>
/// A store whose erasures leave free-text blocks stale instead of writing them again in the erasure's transaction
/// (docs/erasure.md): until written again, such a block's trigrams may still hold keys derived from erased values (never
/// the values), which only make it a candidate a search checks and drops. The server's loop and <c>witness erase</c> call it.
/// </summary>
public interface IStaleTextBlocksStore
{
    /// <summary>
    /// Writes the tenant's stale free-text blocks again from their events' text as it reads now, a batch of blocks per
    /// transaction (appends keep flowing between them), until none is left; answers how many it wrote.
    /// </summary>
    Task<long> RebuildStaleTextBlocksAsync(string tenant, CancellationToken ct);
}
