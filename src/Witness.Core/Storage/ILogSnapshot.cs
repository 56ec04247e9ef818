using Witness.Integrity;

namespace Witness.Storage;

/// <summary>
/// One tenant's log as it stood at one moment: the head, rows, target index, stored nodes, checkpoints
/// and counters all read from one consistent snapshot of the store (SQLite: one read transaction shared
/// by every connection that reads it; PostgreSQL: one read-only REPEATABLE READ snapshot). Events
/// committed after it was opened are not in it, so verification never mistakes them for tampering.
/// Its streams may be read concurrently with each other; each stream is read by one caller at a time.
/// </summary>
public interface ILogSnapshot : IAsyncDisposable
{
    string Tenant { get; }

    /// <summary>The committed head (size and frontier) in the snapshot; null when the tenant has no log.</summary>
    MerkleFrontier? Head { get; }

    /// <summary>The tenant row's size counter (<c>tenants.log_size</c>), kept beside the head; it must say what the head says.</summary>
    long SizeCounter { get; }

    /// <summary>The size of the latest checkpoint signed, as the tenant row records it (null when the store does not record it).</summary>
    long? LastCheckpointSize { get; }

    /// <summary>How many of the first events retention purged (0 when none).</summary>
    long PurgedThrough { get; }

    IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(CancellationToken ct);

    /// <summary>The stored interior nodes, in (level, index) order.</summary>
    IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync(CancellationToken ct);

    /// <summary>Leaf hashes (of retained events, and of purged blocks retention kept), for the purged prefix's checkpoints.</summary>
    ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct);

    /// <inheritdoc cref="IWitnessStore.OpenLogRows"/>
    ILogRowReader OpenLogRows(long fromSeq, CancellationToken ct);

    /// <inheritdoc cref="IWitnessStore.ReadLogAsync"/>
    IAsyncEnumerable<StoredRow> ReadLogAsync(long fromSeq, CancellationToken ct);

    /// <inheritdoc cref="IWitnessStore.VisitTargetRowsAsync"/>
    Task VisitTargetRowsAsync(TargetRowVisitor visit, CancellationToken ct);

    /// <inheritdoc cref="IWitnessStore.ReadTargetRowsAsync"/>
    IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync(CancellationToken ct);

    /// <summary>How many event rows carry the tenant's id, wherever they lie (a row planted outside the log would be found by searches).</summary>
    Task<long> CountEventRowsAsync(CancellationToken ct);

    /// <summary>
    /// Checks what the store keeps in its own layout beside the rows and the target index, which verification
    /// does not know, against what the log's events carry: <paramref name="emailPairs"/>, each distinct (email,
    /// actor id) pair of the log's events (actor id "" for events without one) with the first seq that carries it,
    /// in log order, enumerated only by a store that keeps such an index (SQLite's <c>actor_emails</c>, for email
    /// search). The first difference, or null; a store that keeps nothing of the kind returns null.
    /// </summary>
    Task<LayoutProblem?> CheckLayoutAsync(IEnumerable<((string Email, string ActorId) Pair, long Seq)> emailPairs, CancellationToken ct);
}

/// <summary>What <see cref="ILogSnapshot.CheckLayoutAsync"/> found: the first seq it concerns (when one does) and what differs.</summary>
public sealed record LayoutProblem(long? Seq, string Problem);
