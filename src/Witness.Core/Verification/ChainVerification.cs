namespace Witness.Verification;

/// <summary>
/// The result of checking a tenant's log. When <see cref="Ok"/> is false, <see cref="FirstBadSeq"/>
/// names the first position that does not match (a changed, removed, inserted or reordered event)
/// when it can be named, and <see cref="Problem"/> says what was found.
/// </summary>
public sealed record ChainVerification(bool Ok, long Events, long? FirstBadSeq, string? Problem, int CheckpointsChecked)
{
    /// <summary>How many of <see cref="Events"/> (the first ones) retention purged: they are vouched for by kept hashes, not recomputed.</summary>
    public long Purged { get; init; }

    /// <summary>The size of the log as of the snapshot verified (the same as <see cref="Events"/>): events that arrived later are not part of it.</summary>
    public long Size => Events;

    /// <summary>When a checkpoint (stored or kept outside) is what failed: its tree size.</summary>
    public long? CheckpointSize { get; init; }

    /// <summary>How many checkpoints kept outside the store were checked against the log.</summary>
    public int OutsideCheckpoints { get; init; }

    public static ChainVerification Good(long events, int checkpoints) => new(true, events, null, null, checkpoints);

    public static ChainVerification Bad(long events, long? seq, string problem, int checkpoints) => new(false, events, seq, problem, checkpoints);
}
