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

    /// <summary>
    /// Keeps <paramref name="witness"/>'s <c>cosignature/v1</c> <paramref name="line"/> (newline included) of the heads
    /// checkpoint of <paramref name="size"/>, and makes that checkpoint's cosigned note its note followed by every line
    /// kept for its size, one per witness, so instances cosigning it with different witnesses add up and the same
    /// witness twice counts once. The witness's record (<see cref="ListHeadsWitnessesAsync"/>) then holds size as
    /// the size it holds, its cosigned size never moves back, and its problem is cleared.
    /// </summary>
    Task SaveHeadsCosignatureAsync(string witness, long size, string line, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Records that <paramref name="witness"/> did not cosign: the size it says it holds (<paramref name="knownSize"/>,
    /// learnt from a 409), why, and whether it refused the log (a rollback or a fork) rather than failed to answer.
    /// </summary>
    Task SaveHeadsWitnessProblemAsync(string witness, long knownSize, string problem, bool refused, DateTimeOffset at, CancellationToken ct);

    /// <summary>What every witness that ever answered last did, as recorded by any process on the store.</summary>
    Task<IReadOnlyList<HeadsWitnessRecord>> ListHeadsWitnessesAsync(CancellationToken ct);

    /// <summary>The first heads checkpoint larger than <paramref name="size"/> (the oldest not covered by a witnessed one), or null.</summary>
    Task<StoredCheckpoint?> FirstHeadsCheckpointAfterAsync(long size, CancellationToken ct);

    /// <summary>The largest heads checkpoint cosigned by at least <paramref name="witnesses"/> witnesses: its size, cosigned note and when; null when none.</summary>
    Task<CosignedHeads?> LatestCosignedHeadsAsync(int witnesses, CancellationToken ct);
}

/// <summary>What one append writes: computed by <see cref="Checkpoints.HeadsLog"/> from the frontier the store read under its lock.</summary>
public sealed record HeadsAppendPlan(byte[] LeafHash, MerkleFrontier Next, IReadOnlyList<(int Level, long Index, byte[] Hash)> Nodes, StoredCheckpoint Checkpoint);

/// <summary>A heads checkpoint with the cosignatures of <paramref name="Witnesses"/> witnesses.</summary>
public sealed record CosignedHeads(long Size, string Note, int Witnesses, DateTimeOffset At);

/// <summary>
/// What a witness last did for the heads log, <paramref name="Witness"/> being its verifier key (<c>name+keyid+base64</c>):
/// the size it holds as far as the store knows (the next submission's old size), the largest size it cosigned and when,
/// why it did not cosign the latest, if it did not, and whether that was a refusal (a rollback or a fork).
/// </summary>
public sealed record HeadsWitnessRecord(string Witness, long KnownSize, long CosignedSize, DateTimeOffset? CosignedAt, string? Problem, bool Refused, DateTimeOffset UpdatedAt);
