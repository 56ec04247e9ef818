using Witness.Integrity;

namespace Witness.Retention;

/// <summary>
/// The rules of purging a log's prefix, written once for every store. Retention removes whole
/// blocks of 256 events, the span of one stored level-8 node, so the prefix it leaves behind is
/// described exactly by stored nodes: every inclusion proof of a remaining event and every
/// consistency proof from a multiple of 256 needs no removed leaf hash. The only proofs that reach
/// inside a removed block are consistency proofs from a signed checkpoint whose size ends inside it,
/// so those blocks keep their 256 leaf hashes (8 KiB): every older checkpoint still verifies.
/// </summary>
public static class RetentionBlocks
{
    /// <summary>Events per purge block: the span of a node at <see cref="MerkleNodes.StoredLevel"/>.</summary>
    public const int BlockSize = 1 << MerkleNodes.StoredLevel;

    /// <summary>
    /// Where a purge that starts after <paramref name="purgedThrough"/> may end: the last seq of the
    /// last whole block whose events were all received before the cutoff, at most
    /// <paramref name="maxEvents"/> events on (rounded down to whole blocks, at least one block), and
    /// never past <paramref name="logSize"/>. Returns <paramref name="purgedThrough"/> when no block is due.
    /// </summary>
    /// <param name="purgedThrough">The end of the purged prefix, a multiple of <see cref="BlockSize"/>.</param>
    /// <param name="logSize">The log's size.</param>
    /// <param name="receivedAtMicros">The received_at of the events from <c>purgedThrough + 1</c> on, in seq order (at least as many as can be purged).</param>
    /// <param name="cutoffMicros">Events received at or after this are kept.</param>
    /// <param name="maxEvents">The most events one purge may remove.</param>
    public static long PurgeEnd(long purgedThrough, long logSize, IReadOnlyList<long> receivedAtMicros, long cutoffMicros, int maxEvents)
    {
        var limit = Math.Max(BlockSize, maxEvents / BlockSize * BlockSize);
        long due = 0;
        while (due < receivedAtMicros.Count && due < limit && receivedAtMicros[(int)due] < cutoffMicros)
        {
            due++;
        }

        var whole = Math.Min(due, logSize - purgedThrough) / BlockSize * BlockSize;
        return purgedThrough + whole;
    }

    /// <summary>The block (0-based) that holds seq <paramref name="seq"/>.</summary>
    public static long BlockOf(long seq) => (seq - 1) / BlockSize;

    /// <summary>Whether a purged block keeps its leaf hashes: when a signed checkpoint's size ends strictly inside it.</summary>
    public static bool KeepsLeaves(long block, IEnumerable<long> checkpointSizes)
    {
        var start = block * BlockSize;
        var end = start + BlockSize;
        return checkpointSizes.Any(size => size > start && size < end);
    }

    /// <summary>
    /// The compact range of the first <paramref name="purgedThrough"/> leaves from stored nodes: one
    /// perfect subtree per set bit of the size, each at level ≥ 8. Null when a node is missing.
    /// </summary>
    public static MerkleFrontier? PrefixFrontier(long purgedThrough, Func<int, long, byte[]?> storedNode)
    {
        var roots = new List<byte[]>();
        long start = 0;
        for (var level = 62; level >= MerkleNodes.StoredLevel; level--)
        {
            if ((purgedThrough & (1L << level)) == 0)
            {
                continue;
            }

            var node = storedNode(level, start >> level);
            if (node is null)
            {
                return null;
            }

            roots.Add(node);
            start += 1L << level;
        }

        return MerkleFrontier.FromSubtreeRoots(purgedThrough, roots);
    }
}
