using Witness.Integrity;

namespace Witness.Export;

/// <summary>
/// Remembers the stored nodes and the latest leaf blocks read for inclusion proofs, so a filtered
/// export of many events does not read the same upper nodes and leaf blocks for each one. Both
/// caches are bounded. <paramref name="treeSize"/> is the size of the tree the proofs are for.
/// </summary>
internal sealed class CachingNodeSource(INodeSource inner, long treeSize) : INodeSource
{
    // A node is 32 bytes plus its key: this keeps at most a few MiB, enough for every stored node of a log of ~16M events.
    private const int MaxNodes = 65_536;
    private const int LeafBlocksKept = 8;
    private const long LeafBlock = 1L << MerkleNodes.StoredLevel;

    private readonly Dictionary<(int Level, long Index), byte[]?> _nodes = [];
    private readonly LinkedList<(long Block, IReadOnlyList<byte[]> Hashes)> _leafBlocks = new();

    public async ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct)
    {
        if (_nodes.TryGetValue((level, index), out var known))
        {
            return known;
        }

        var hash = await inner.GetNodeAsync(level, index, ct).ConfigureAwait(false);
        if (_nodes.Count < MaxNodes)
        {
            _nodes[(level, index)] = hash;
        }

        return hash;
    }

    public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct)
    {
        // Whole aligned blocks are read and kept, so proofs of nearby leaves (which ask for slightly
        // different ranges of the same block) share one read.
        var hashes = new List<byte[]>(count);
        var end = start + count;
        for (var block = start / LeafBlock; block * LeafBlock < end; block++)
        {
            var leaves = await BlockAsync(block, ct).ConfigureAwait(false);
            var from = Math.Max(start, block * LeafBlock) - (block * LeafBlock);
            var to = Math.Min(end, (block + 1) * LeafBlock) - (block * LeafBlock);
            for (var i = from; i < to; i++)
            {
                hashes.Add(leaves[(int)i]);
            }
        }

        return hashes;
    }

    private async ValueTask<IReadOnlyList<byte[]>> BlockAsync(long block, CancellationToken ct)
    {
        for (var node = _leafBlocks.First; node is not null; node = node.Next)
        {
            if (node.Value.Block == block)
            {
                _leafBlocks.Remove(node);
                _leafBlocks.AddFirst(node);
                return node.Value.Hashes;
            }
        }

        var first = block * LeafBlock;
        var hashes = await inner.GetLeafHashesAsync(first, (int)Math.Min(LeafBlock, treeSize - first), ct).ConfigureAwait(false);
        _leafBlocks.AddFirst((block, hashes));
        if (_leafBlocks.Count > LeafBlocksKept)
        {
            _leafBlocks.RemoveLast();
        }

        return hashes;
    }
}
