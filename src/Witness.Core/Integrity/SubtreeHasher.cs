namespace Witness.Integrity;

/// <summary>
/// Computes the RFC 9162 Merkle tree hash MTH(D[start:end]) of any range of a log from an
/// <see cref="INodeSource"/>. Aligned perfect subtrees at level ≥ <see cref="MerkleNodes.StoredLevel"/>
/// are read as stored nodes (and computed from their children when the store does not have them);
/// anything smaller is computed from leaf hashes, and the leaf ranges of one call that fall in the same
/// 256-leaf block are read together. For the subtrees of a proof that is O(log n) node reads and at
/// most two leaf reads.
/// </summary>
public sealed class SubtreeHasher
{
    private const long LeafBlock = 1L << MerkleNodes.StoredLevel;

    private readonly INodeSource _source;

    /// <summary>A hasher that reads from <paramref name="source"/>.</summary>
    public SubtreeHasher(INodeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <summary>MTH(D[start:end]); <see cref="MerkleHash.Empty"/> for an empty range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">start &lt; 0 or end &lt; start.</exception>
    /// <exception cref="InvalidDataException">The source returned a hash that is not 32 bytes or the wrong number of leaves.</exception>
    public async ValueTask<byte[]> HashAsync(long start, long end, CancellationToken ct)
    {
        var hashes = await HashManyAsync([(start, end)], ct).ConfigureAwait(false);
        return hashes[0];
    }

    /// <summary>MTH(D[start:end]) of each range, in order, sharing node and leaf reads between them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A range has start &lt; 0 or end &lt; start.</exception>
    /// <exception cref="InvalidDataException">The source returned a hash that is not 32 bytes or the wrong number of leaves.</exception>
    public async ValueTask<byte[][]> HashManyAsync(IReadOnlyList<(long Start, long End)> ranges, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var plans = new Plan[ranges.Count];
        var stored = new List<StoredNode>();
        var leafRanges = new List<LeafRange>();
        for (var i = 0; i < ranges.Count; i++)
        {
            var (start, end) = ranges[i];
            ArgumentOutOfRangeException.ThrowIfNegative(start);
            ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
            plans[i] = PlanRange(start, end, stored, leafRanges);
        }

        var nodes = new Dictionary<(int Level, long Index), byte[]>();
        foreach (var node in stored)
        {
            if (nodes.ContainsKey((node.Level, node.Index)))
            {
                continue;
            }

            var hash = await _source.GetNodeAsync(node.Level, node.Index, ct).ConfigureAwait(false)
                ?? await ComputeNodeAsync(node.Level, node.Index, ct).ConfigureAwait(false);
            nodes[(node.Level, node.Index)] = CheckHash(hash, "node");
        }

        var blocks = await ReadLeafBlocksAsync(leafRanges, ct).ConfigureAwait(false);
        var results = new byte[plans.Length][];
        for (var i = 0; i < plans.Length; i++)
        {
            results[i] = Evaluate(plans[i], nodes, blocks);
        }

        return results;
    }

    private static Plan PlanRange(long start, long end, List<StoredNode> stored, List<LeafRange> leafRanges)
    {
        var n = end - start;
        if (n == 0)
        {
            return new EmptyRange();
        }

        var isPerfect = (n & (n - 1)) == 0;
        if (isPerfect && n >= LeafBlock && start % n == 0)
        {
            var level = 63 - long.LeadingZeroCount(n);
            var node = new StoredNode((int)level, start >> (int)level);
            stored.Add(node);
            return node;
        }

        if (n <= LeafBlock)
        {
            var leaves = new LeafRange(start, end);
            leafRanges.Add(leaves);
            return leaves;
        }

        var k = MerkleHash.SplitPoint(n);
        return new Join(PlanRange(start, start + k, stored, leafRanges), PlanRange(start + k, end, stored, leafRanges));
    }

    // A node the store does not have is the hash of its two children, which are stored nodes again
    // (down to StoredLevel) or, below that, one read of its 256 leaves.
    private async ValueTask<byte[]> ComputeNodeAsync(int level, long index, CancellationToken ct)
    {
        var start = index << level;
        var mid = start + (1L << (level - 1));
        var end = start + (1L << level);
        var children = await HashManyAsync([(start, mid), (mid, end)], ct).ConfigureAwait(false);
        return MerkleHash.Node(children[0], children[1]);
    }

    private async ValueTask<List<LeafBlockRead>> ReadLeafBlocksAsync(List<LeafRange> ranges, CancellationToken ct)
    {
        var reads = new List<LeafBlockRead>();
        if (ranges.Count == 0)
        {
            return reads;
        }

        // Ranges that touch or share a 256-leaf block become one read; the leaves between two requested
        // ranges are inside the tree, so the merged read is too.
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        var start = sorted[0].Start;
        var end = sorted[0].End;
        var spans = new List<(long Start, long End)>();
        foreach (var range in sorted.Skip(1))
        {
            if (range.Start <= end || range.Start / LeafBlock == (end - 1) / LeafBlock)
            {
                end = Math.Max(end, range.End);
            }
            else
            {
                spans.Add((start, end));
                (start, end) = (range.Start, range.End);
            }
        }

        spans.Add((start, end));
        foreach (var (spanStart, spanEnd) in spans)
        {
            var count = checked((int)(spanEnd - spanStart));
            var leaves = await _source.GetLeafHashesAsync(spanStart, count, ct).ConfigureAwait(false);
            if (leaves is null || leaves.Count != count)
            {
                throw new InvalidDataException($"Asked for {count} leaf hashes from leaf {spanStart}, got {leaves?.Count ?? 0}.");
            }

            foreach (var leaf in leaves)
            {
                CheckHash(leaf, "leaf");
            }

            reads.Add(new LeafBlockRead(spanStart, leaves));
        }

        return reads;
    }

    private static byte[] Evaluate(Plan plan, Dictionary<(int Level, long Index), byte[]> nodes, List<LeafBlockRead> blocks) =>
        plan switch
        {
            EmptyRange => MerkleHash.Empty,
            StoredNode node => (byte[])nodes[(node.Level, node.Index)].Clone(),
            LeafRange range => RootOfLeaves(range, blocks),
            Join join => MerkleHash.Node(Evaluate(join.Left, nodes, blocks), Evaluate(join.Right, nodes, blocks)),
            _ => throw new InvalidOperationException("Unknown plan."),
        };

    private static byte[] RootOfLeaves(LeafRange range, List<LeafBlockRead> blocks)
    {
        var block = blocks.First(b => b.Start <= range.Start && range.End <= b.Start + b.Leaves.Count);
        return MerkleHash.RootOf(block.Leaves, (int)(range.Start - block.Start), (int)(range.End - range.Start));
    }

    private static byte[] CheckHash(byte[]? hash, string what) =>
        hash is { Length: MerkleHash.Size } ? hash : throw new InvalidDataException($"The source returned a {what} hash that is not {MerkleHash.Size} bytes.");

    private abstract record Plan;

    private sealed record EmptyRange : Plan;

    private sealed record StoredNode(int Level, long Index) : Plan;

    private sealed record LeafRange(long Start, long End) : Plan;

    private sealed record Join(Plan Left, Plan Right) : Plan;

    private sealed record LeafBlockRead(long Start, IReadOnlyList<byte[]> Leaves);
}
