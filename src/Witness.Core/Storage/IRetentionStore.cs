namespace Witness.Storage;

/// <summary>
/// Retention on a store: purging the oldest prefix of a tenant's log while keeping what proofs and
/// verification need (see <see cref="Witness.Retention.RetentionBlocks"/> for the rules every store
/// follows). Safe to call concurrently with appends; each purge batch is one short transaction.
/// </summary>
public interface IRetentionStore
{
    /// <summary>How far the tenant's log was purged, and how far those purges are recorded as <c>log.purge</c> events. <see cref="PurgedPrefix.None"/> for a tenant never purged or unknown.</summary>
    Task<PurgedPrefix> GetPurgedPrefixAsync(string tenant, CancellationToken ct);

    /// <summary>
    /// In one transaction, removes the next events of the tenant's log after its purged prefix that
    /// were all received before <paramref name="receivedBefore"/>: whole blocks of
    /// <see cref="Witness.Retention.RetentionBlocks.BlockSize"/> events only, at most
    /// <paramref name="maxEvents"/> (rounded down to whole blocks, at least one block), stopping at the
    /// first event received at or after the cutoff. Removes the events' index rows with them, keeps
    /// every stored subtree node, keeps the leaf hashes of each removed block that holds the end of a
    /// signed checkpoint (<see cref="Witness.Retention.RetentionBlocks.KeepsLeaves"/>), and advances the
    /// purged prefix. Returns the removed seq range, or null when no whole block is due.
    /// </summary>
    Task<PurgeBatch?> PurgeAsync(string tenant, DateTimeOffset receivedBefore, int maxEvents, CancellationToken ct);

    /// <summary>Notes that purges up to seq <paramref name="through"/> are recorded in the log; never moves backwards.</summary>
    Task MarkPurgeRecordedAsync(string tenant, long through, CancellationToken ct);
}

/// <summary>
/// The purged part of a tenant's log: events 1 to <see cref="PurgedThrough"/> are gone (always a
/// multiple of the block size); purges up to <see cref="RecordedThrough"/> are recorded as events.
/// </summary>
public sealed record PurgedPrefix(long PurgedThrough, long RecordedThrough)
{
    public static PurgedPrefix None { get; } = new(0, 0);
}

/// <summary>The events <see cref="FromSeq"/> to <see cref="ToSeq"/> (inclusive) removed by one purge transaction.</summary>
public sealed record PurgeBatch(long FromSeq, long ToSeq)
{
    public long Count => ToSeq - FromSeq + 1;
}

/// <summary>
/// Thrown by a store's <see cref="Witness.Integrity.INodeSource"/> when a proof needs leaf hashes that
/// retention removed: a subtree that ends inside a purged block with no signed checkpoint.
/// </summary>
public sealed class PurgedLeavesException(long seq, long purgedThrough)
    : Exception($"The leaf hash of event {seq} was removed by retention (events 1 to {purgedThrough} are purged); proofs are available from the size of any signed checkpoint, any multiple of {Witness.Retention.RetentionBlocks.BlockSize}, or any size above {purgedThrough}.")
{
    public long Seq { get; } = seq;
    public long PurgedThrough { get; } = purgedThrough;
}
