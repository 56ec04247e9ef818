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

    public static ChainVerification Good(long events, int checkpoints) => new(true, events, null, null, checkpoints);

    public static ChainVerification Bad(long events, long? seq, string problem, int checkpoints) => new(false, events, seq, problem, checkpoints);
}
