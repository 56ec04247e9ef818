using Witness.Integrity;

namespace Witness.Export;

/// <summary>
/// Remembers the stored nodes and the latest leaf blocks read for inclusion proofs, so a filtered
/// export of many events does not read the same upper nodes for each one. Both caches are bounded.
/// </summary>
internal sealed class CachingNodeSource(INodeSource inner) : INodeSource
{
    // A node is 32 bytes plus its key: this keeps at most a few MiB, enough for every stored node of a log of ~16M events.
    private const int MaxNodes = 65_536;
    private const int LeafBlocksKept = 8;

    private readonly Dictionary<(int Level, long Index), byte[]?> _nodes = [];
    private readonly LinkedList<(long Start, int Count, IReadOnlyList<byte[]> Hashes)> _leafBlocks = new();

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
        for (var node = _leafBlocks.First; node is not null; node = node.Next)
        {
            if (node.Value.Start == start && node.Value.Count == count)
            {
                _leafBlocks.Remove(node);
                _leafBlocks.AddFirst(node);
                return node.Value.Hashes;
            }
        }

        var hashes = await inner.GetLeafHashesAsync(start, count, ct).ConfigureAwait(false);
        _leafBlocks.AddFirst((start, count, hashes));
        if (_leafBlocks.Count > LeafBlocksKept)
        {
            _leafBlocks.RemoveLast();
        }

        return hashes;
    }
}
