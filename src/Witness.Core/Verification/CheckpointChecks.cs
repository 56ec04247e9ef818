using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// Verification's checks of signed checkpoints, apart from the recomputation of the log they vouch for: a
/// checkpoint's note verifies under the trusted keys, is of this tenant's log and says what its stored
/// columns say (<see cref="IsSigned"/>); the stored rows form an unbroken chain that the head names the end
/// of; checkpoints given from outside are read; and those of a purged prefix match the hashes kept for it.
/// </summary>
internal sealed class CheckpointChecks(CheckpointKeys keys, string keyName, string tenant)
{
    /// <summary>The origin line of this tenant's checkpoints.</summary>
    public string Origin { get; } = Checkpoints.LogOrigins.Tenant(keyName, tenant);

    /// <summary>
    /// The one signature check of verification: the note verifies with a trusted key, is of this tenant's log, and
    /// says what the stored columns say. Checkpoints given from outside pass the first two as they are read
    /// (<see cref="ReadOutside"/>), through the same <see cref="TryVerify"/> and <see cref="Origin"/>.
    /// </summary>
    public bool IsSigned(StoredCheckpoint checkpoint) =>
        TryVerify(checkpoint.Note, out var note)
        && note.Origin == Origin && note.Size == checkpoint.Size && note.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash);

    /// <summary>The problem with a checkpoint that is not <see cref="IsSigned"/>, naming it by its size; null when it is.</summary>
    public string? Unsigned(StoredCheckpoint checkpoint) =>
        IsSigned(checkpoint) ? null : $"the checkpoint at size {checkpoint.Size} {WhyUnsigned(checkpoint)}";

    /// <summary>Why a checkpoint's note does not verify, for a message about the checkpoint at its size.</summary>
    public string WhyUnsigned(StoredCheckpoint checkpoint) => keys.WhyUnsigned(checkpoint.Note);

    /// <summary>The note's checkpoint when a trusted key signed it under the verifier's key name.</summary>
    private bool TryVerify(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Checkpoint? note) =>
        keys.TryVerify(text, keyName, out note, out _) && note is not null;

    /// <summary>
    /// Reads the checkpoints given from outside the store into <paramref name="outside"/>; the problem with the
    /// first that is not signed by a trusted key or not of this tenant's log, or null.
    /// </summary>
    public ChainVerification? ReadOutside(IReadOnlyList<string> notes, long headSize, List<StoredCheckpoint> outside)
    {
        foreach (var text in notes)
        {
            if (!TryVerify(text, out var note))
            {
                var size = SizeInNote(text);
                return ChainVerification.Bad(headSize, null,
                    $"the checkpoint given{(size is null ? "" : $" at size {size}")} {keys.WhyUnsigned(text)}", 0) with { CheckpointSize = size };
            }

            if (note.Origin != Origin)
            {
                return ChainVerification.Bad(headSize, null,
                    $"the checkpoint given at size {note.Size} is of the log '{note.Origin}', not of tenant '{tenant}' ('{Origin}')", 0) with { CheckpointSize = note.Size };
            }

            outside.Add(new StoredCheckpoint(note.Size, note.RootHash, text, default));
        }

        return null;
    }

    /// <summary>The size line of a note's body, to name a checkpoint whose signature does not verify.</summary>
    private static long? SizeInNote(string text)
    {
        var lines = text.Split('\n');
        return lines.Length > 1 && long.TryParse(lines[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;
    }

    /// <summary>
    /// The checkpoint rows form a chain: each names the size of the one signed before it, and the head
    /// names the latest. A row removed from the middle or the end breaks it, and the break names its size.
    /// Along the chain the signing keys only move on to newer ones. <paramref name="bad"/> makes the failure
    /// of the checkpoint at a size.
    /// </summary>
    public ChainVerification? CheckChain(List<StoredCheckpoint> checkpoints, long? lastCheckpointSize, Func<long, string, ChainVerification> bad)
    {
        long previous = 0;
        var previousKey = 0;
        foreach (var checkpoint in checkpoints)
        {
            // Signatures were checked already; a key older than the one before means a retired key signed later.
            var key = keys.ClaimedPosition(checkpoint.Note) ?? previousKey;
            if (key < previousKey)
            {
                return bad(checkpoint.Size,
                    $"the checkpoint at size {checkpoint.Size} is signed by a key the store had retired before the checkpoint at size {previous} was signed by its successor: it was signed by an instance with an old key, or inserted");
            }

            previousKey = key;
            if (checkpoint.PreviousSize is { } named && named != previous)
            {
                return named > previous
                    ? bad(named, $"the checkpoint at size {named} is missing: the one at size {checkpoint.Size} was signed after it")
                    : bad(previous, $"the checkpoint at size {previous} was not signed by this server between size {named} and size {checkpoint.Size}: it was inserted or its row changed");
            }

            previous = checkpoint.Size;
        }

        return lastCheckpointSize is { } last && last != previous
            ? last > previous
                ? bad(last, $"the checkpoint at size {last} is missing: the log's head records it as the latest one signed")
                : bad(previous, $"the log's head records size {last} as its latest checkpoint, but one at size {previous} is stored")
            : null;
    }

    /// <summary>
    /// Checks the signed checkpoints of the purged prefix: each signature, and each root recomputed
    /// from the kept hashes (stored nodes, plus the leaf hashes retention keeps for blocks where a
    /// checkpoint ends). Returns how many were checked, or the problem found.
    /// </summary>
    public async Task<(int Checked, ChainVerification? Problem)> CheckPurgedAsync(
        ILogSnapshot snapshot, long purged, List<StoredCheckpoint> checkpoints, Dictionary<(int, long), byte[]> nodes, HashSet<object> outside, CancellationToken ct)
    {
        var hasher = new SubtreeHasher(new KeptHashes(nodes, snapshot));
        var count = 0;
        foreach (var checkpoint in checkpoints.Where(c => c.Size <= purged))
        {
            if (Unsigned(checkpoint) is { } unsigned)
            {
                return (count, ChainVerification.Bad(purged, null, unsigned, count) with { CheckpointSize = checkpoint.Size });
            }

            byte[] root;
            try
            {
                root = await hasher.HashAsync(0, checkpoint.Size, ct);
            }
            catch (PurgedLeavesException)
            {
                return (count, ChainVerification.Bad(purged, null, $"the leaf hashes retention keeps for the checkpoint at size {checkpoint.Size} are missing", count) with { CheckpointSize = checkpoint.Size });
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                var whose = outside.Contains(checkpoint) ? "kept outside" : "signed";
                return (count, ChainVerification.Bad(purged, null, $"the hashes kept for the purged events no longer match the checkpoint {whose} at size {checkpoint.Size}", count) with { CheckpointSize = checkpoint.Size });
            }

            count += outside.Contains(checkpoint) ? 0 : 1;
        }

        return (count, null);
    }

    /// <summary>The stored nodes already read for verification, and the store's leaf hashes (retained events and kept purged blocks).</summary>
    private sealed class KeptHashes(Dictionary<(int, long), byte[]> nodes, ILogSnapshot snapshot) : INodeSource
    {
        public ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct) => ValueTask.FromResult(nodes.GetValueOrDefault((level, index)));

        public ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) => snapshot.GetLeafHashesAsync(start, count, ct);
    }
}
