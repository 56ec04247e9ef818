using Witness.Integrity;

namespace Witness.Storage;

/// <summary>
/// The heads log a store keeps: one Merkle log, global to the store, whose entries are the SHA-256 of tenants'
/// checkpoint bodies (<see cref="Checkpoints.HeadsLog"/>), with a signed checkpoint after every append and the
/// cosigned checkpoints witnesses returned. Appends are serialized across every process on the store.
/// </summary>
public interface IHeadsLogStore
{
    /// <summary>
    /// Appends <paramref name="entry"/> unless the log already holds it, and returns its index. Under the store's
    /// heads lock, <paramref name="plan"/> gets the log's frontier and says what to write: the leaf hash, the nodes
    /// completed, and the checkpoint signed of the new tree (kept with its frontier, for the next append).
    /// </summary>
    Task<long> AppendHeadAsync(byte[] entry, Func<MerkleFrontier, HeadsAppendPlan> plan, CancellationToken ct);

    /// <summary>The index of <paramref name="entry"/> in the heads log, or null when it is not in it.</summary>
    Task<long?> HeadIndexAsync(byte[] entry, CancellationToken ct);

    /// <summary>The latest checkpoint of the heads log, or null when it is empty.</summary>
    Task<StoredCheckpoint?> LatestHeadsCheckpointAsync(CancellationToken ct);

    /// <summary>The entries [start, start + count), fewer when the log ends before.</summary>
    Task<IReadOnlyList<byte[]>> ReadHeadEntriesAsync(long start, int count, CancellationToken ct);

    /// <summary>The stored hashes of the heads log, for proofs and tiles.</summary>
    INodeSource HeadsNodes { get; }

    /// <summary>Keeps the note of the heads checkpoint of <paramref name="size"/> with the cosignatures added to it, and how many witnesses signed it.</summary>
    Task SaveHeadsCosignaturesAsync(long size, string cosignedNote, int witnesses, DateTimeOffset at, CancellationToken ct);

    /// <summary>The largest heads checkpoint cosigned by at least <paramref name="witnesses"/> witnesses: its size, cosigned note and when; null when none.</summary>
    Task<CosignedHeads?> LatestCosignedHeadsAsync(int witnesses, CancellationToken ct);
}

/// <summary>What one append writes: computed by <see cref="Checkpoints.HeadsLog"/> from the frontier the store read under its lock.</summary>
public sealed record HeadsAppendPlan(byte[] LeafHash, MerkleFrontier Next, IReadOnlyList<(int Level, long Index, byte[] Hash)> Nodes, StoredCheckpoint Checkpoint);

/// <summary>A heads checkpoint with the cosignatures of <paramref name="Witnesses"/> witnesses.</summary>
public sealed record CosignedHeads(long Size, string Note, int Witnesses, DateTimeOffset At);
