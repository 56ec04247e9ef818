using System.Security.Cryptography;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Checkpoints;

/// <summary>
/// The heads log: one log, global to the store, of every tenant's signed checkpoints, so that a witness of this one
/// log covers every tenant. An entry is SHA-256 of a tenant checkpoint's body (origin, size, root), so the log
/// commits to them without telling outsiders tenant names; its leaf hash is SHA-256(0x00 ‖ entry), as for any
/// record. Each append signs a checkpoint of the heads log (origin <see cref="LogOrigins.Heads"/>) with the
/// server's keys. Appending the same tenant checkpoint twice (two instances) keeps one entry.
/// </summary>
public sealed class HeadsLog(IHeadsLogStore store, SigningKey key, TimeProvider clock)
{
    /// <summary>The heads log's checkpoint origin.</summary>
    public string Origin => LogOrigins.Heads(key.KeyName);

    public IHeadsLogStore Store => store;

    /// <summary>The entry of a tenant checkpoint: SHA-256 of its body.</summary>
    public static byte[] EntryOf(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return SHA256.HashData(NoteEncoding.Utf8(checkpoint.ToBody()));
    }

    /// <summary>Appends the tenant checkpoint (when not in the log yet) and returns its index.</summary>
    public Task<long> AppendAsync(Checkpoint tenantCheckpoint, CancellationToken ct) =>
        AppendEntryAsync(EntryOf(tenantCheckpoint), ct);

    /// <summary>
    /// The tenant checkpoint's place in the heads log, appending it first when it is not there (an instance that
    /// stopped between signing and appending), with its inclusion proof in the latest heads checkpoint.
    /// </summary>
    public async Task<HeadsInclusion> ProveAsync(Checkpoint tenantCheckpoint, CancellationToken ct)
    {
        var entry = EntryOf(tenantCheckpoint);
        var index = await store.HeadIndexAsync(entry, ct) ?? await AppendEntryAsync(entry, ct);
        var latest = await store.LatestHeadsCheckpointAsync(ct) ?? throw new InvalidOperationException("the heads log has no checkpoint after an append");
        var proof = await MerkleProofs.InclusionAsync(index, latest.Size, store.HeadsNodes, ct);
        return new HeadsInclusion(Origin, index, entry, MerkleHash.Leaf(entry), latest, proof);
    }

    /// <summary>
    /// Null when the store's heads log is a consistent extension of <paramref name="kept"/>, a heads checkpoint kept
    /// outside (such as the last one witnesses cosigned; its signature is the caller's to check), else why not:
    /// a heads log shorter than it was rolled back, one whose first entries hash to another root forked.
    /// </summary>
    public async Task<string?> ProblemWithAsync(Checkpoint kept, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(kept);
        var size = (await store.LatestHeadsCheckpointAsync(ct))?.Size ?? 0;
        if (size < kept.Size)
        {
            return $"the heads log holds {size} entries, fewer than the {kept.Size} of the heads checkpoint kept outside: it was rolled back";
        }

        var root = kept.Size == 0 ? MerkleHash.Empty : await new SubtreeHasher(store.HeadsNodes).HashAsync(0, kept.Size, ct);
        return root.AsSpan().SequenceEqual(kept.RootHash)
            ? null
            : $"the heads log is not a consistent extension of the heads checkpoint kept outside at size {kept.Size}: its history was rewritten (a fork)";
    }

    private Task<long> AppendEntryAsync(byte[] entry, CancellationToken ct) =>
        store.AppendHeadAsync(entry, current => Plan(entry, current), ct);

    private HeadsAppendPlan Plan(byte[] entry, MerkleFrontier current)
    {
        var next = current.Clone();
        var leaf = MerkleHash.Leaf(entry);
        var nodes = new List<(int, long, byte[])>();
        next.Append(leaf, (level, index, hash) =>
        {
            if (level >= MerkleNodes.StoredLevel)
            {
                nodes.Add((level, index, hash));
            }
        });
        var checkpoint = new Checkpoint(Origin, next.Size, next.Root());
        var now = clock.GetUtcNow();
        var created = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        return new HeadsAppendPlan(leaf, next, nodes, new StoredCheckpoint(checkpoint.Size, checkpoint.RootHash, key.SignNote(checkpoint), created));
    }
}

/// <summary>A tenant checkpoint's entry in the heads log and its inclusion proof in <paramref name="Checkpoint"/>.</summary>
public sealed record HeadsInclusion(string Origin, long Index, byte[] Entry, byte[] LeafHash, StoredCheckpoint Checkpoint, byte[][] Proof);
