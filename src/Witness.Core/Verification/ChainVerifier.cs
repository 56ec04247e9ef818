using System.Security.Cryptography;
using Witness.Integrity;
using Witness.Retention;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// Recomputes a tenant's log from the store and checks it against everything that vouches for it:
/// each event's bytes against its leaf hash, its seq and tenant against its position, the index
/// columns against the body, the stored subtree hashes, every signed checkpoint (root and
/// signature), and the committed head. Names the first seq that does not match. Each checkpoint verifies under
/// the key it names among <see cref="CheckpointKeys"/> (the store's registered keys that the verifier's own key
/// vouches for), and along the log the keys only ever move on to newer ones.
/// It orchestrates: <see cref="CheckpointChecks"/> reads and checks the checkpoints, <see cref="BlockScheduler"/>
/// runs <see cref="LogRecomputation"/> over the rows on every core (each row through <see cref="RowChecks"/>), and
/// <see cref="IndexChecks"/> compares what the store keeps beside the rows.
/// </summary>
public sealed class ChainVerifier(IWitnessStore store, CheckpointKeys keys, string keyName)
{
    /// <summary>A verifier that trusts <paramref name="publicKey"/> alone.</summary>
    public ChainVerifier(IWitnessStore store, ECDsa publicKey, string keyName)
        : this(store, CheckpointKeys.Single(publicKey), keyName)
    {
    }

    /// <summary>Verifies the tenant's log as of one snapshot of the store (<see cref="ILogSnapshot"/>): events that arrive meanwhile are not part of it.</summary>
    public Task<ChainVerification> VerifyAsync(string tenant, CancellationToken ct) => VerifyAsync(tenant, [], ct);

    /// <summary>
    /// Verifies the tenant's log as of one snapshot of the store, and that it is a consistent extension of
    /// each of <paramref name="outsideNotes"/>: signed checkpoints kept outside the database (as served by
    /// <c>/v1/checkpoints/latest</c>). Only they reveal a tail cut off by someone who can write the database.
    /// </summary>
    public async Task<ChainVerification> VerifyAsync(string tenant, IReadOnlyList<string> outsideNotes, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await VerifySnapshotAsync(tenant, outsideNotes, ct);
            }
            catch (LogSnapshotMovedException) when (attempt < 5)
            {
                // The log grew while its snapshot was being shared (a store that could not pin it): a new snapshot will do.
            }
        }
    }

    private async Task<ChainVerification> VerifySnapshotAsync(string tenant, IReadOnlyList<string> outsideNotes, CancellationToken ct)
    {
        await using var snapshot = await store.OpenSnapshotAsync(tenant, ct);
        var checks = new CheckpointChecks(keys, keyName, tenant);
        var outside = new List<StoredCheckpoint>();
        if (checks.ReadOutside(outsideNotes, snapshot.Head?.Size ?? 0, outside) is { } unsigned)
        {
            return unsigned;
        }

        var checkpoints = new List<StoredCheckpoint>();
        await foreach (var checkpoint in snapshot.ReadCheckpointsAsync(ct))
        {
            checkpoints.Add(checkpoint);
        }

        var nodes = new Dictionary<(int, long), byte[]>();
        await foreach (var (level, index, hash) in snapshot.ReadNodesAsync(ct))
        {
            nodes[(level, index)] = hash;
        }

        // After retention the log starts after its purged prefix: the recomputation starts from the
        // prefix's compact range (stored nodes) instead of the empty tree.
        var purged = snapshot.PurgedThrough;
        var start = RetentionBlocks.PrefixFrontier(purged, (level, index) => nodes.GetValueOrDefault((level, index)));
        if (start is null)
        {
            return ChainVerification.Bad(purged, purged + 1, $"the stored hashes that stand for the {purged} purged events are missing", 0) with { Purged = purged };
        }

        var anchors = checkpoints.Concat(outside).OrderBy(c => c.Size).ToList();
        var outsideSet = new HashSet<object>(outside, ReferenceEqualityComparer.Instance);
        var (prefixCheckpoints, prefixProblem) = await checks.CheckPurgedAsync(snapshot, purged, anchors, nodes, outsideSet, ct);
        if (prefixProblem is not null)
        {
            return prefixProblem with { Purged = purged };
        }

        var state = new LogRecomputation(tenant, [.. anchors.Where(c => c.Size > purged)], outsideSet, nodes, checks, start, prefixCheckpoints);
        var result = await RecomputeAsync(snapshot, state, purged, ct)
            ?? checks.CheckChain(checkpoints, snapshot.LastCheckpointSize, state.BadCheckpoint)
            ?? IndexChecks.CheckStoredNodes(state, nodes, purged)
            ?? ChainVerification.Good(state.Size, state.CheckpointsChecked);
        return result with { Purged = purged, OutsideCheckpoints = outside.Count };
    }

    private static async Task<ChainVerification?> RecomputeAsync(ILogSnapshot snapshot, LogRecomputation state, long purged, CancellationToken ct)
    {
        ulong storedTargets = 0;
        var problem = await BlockScheduler.RunAsync(
            token => snapshot.OpenLogRows(purged + 1, token),
            async token => storedTargets = await IndexChecks.StoredTargetDigestAsync(snapshot, token),
            state.Check,
            state.Append,
            ct);
        if (problem is not null)
        {
            return problem;
        }

        var head = snapshot.Head ?? new MerkleFrontier();
        if (snapshot.SizeCounter != head.Size)
        {
            return state.BadAt(Math.Min(snapshot.SizeCounter, head.Size) + 1,
                $"the tenant's size counter (log_size) says {snapshot.SizeCounter} events but its head holds {head.Size}");
        }

        return state.Finish(head)
            ?? await IndexChecks.CheckTargetsAsync(snapshot, state, storedTargets, ct)
            ?? await IndexChecks.CheckLayoutAsync(snapshot, state, purged, ct);
    }
}
