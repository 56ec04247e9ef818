using System.Text;
using Witness.Integrity;

namespace Witness.Tests.Integrity;

/// <summary>
/// An in-memory log for tests: keeps every leaf hash, stores completed nodes only at level ≥
/// <see cref="MerkleNodes.StoredLevel"/> like the real stores do (or none at all), counts the reads
/// proofs make, and computes roots the naive recursive way of RFC 9162 as the reference.
/// </summary>
internal sealed class MerkleTestTree : INodeSource
{
    /// <summary>The eight leaf inputs of the RFC 6962 / transparency-dev test vectors.</summary>
    public static readonly byte[][] VectorLeafInputs =
    [
        [],
        [0x00],
        [0x10],
        [0x20, 0x21],
        [0x30, 0x31],
        [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    private readonly List<byte[]> _leafHashes = [];
    private readonly Dictionary<(int Level, long Index), byte[]> _nodes = [];
    private readonly bool _storesNodes;

    public MerkleTestTree(bool storesNodes = true)
    {
        _storesNodes = storesNodes;
    }

    public MerkleFrontier Frontier { get; } = new();

    public long Size => _leafHashes.Count;

    public int NodeReads { get; private set; }

    public int LeafReads { get; private set; }

    public long LeavesRead { get; private set; }

    public static MerkleTestTree WithLeaves(long count, bool storesNodes = true)
    {
        var tree = new MerkleTestTree(storesNodes);
        for (long i = 0; i < count; i++)
        {
            tree.Append(Encoding.UTF8.GetBytes($"event {i}"));
        }

        return tree;
    }

    public static MerkleTestTree WithVectorLeaves()
    {
        var tree = new MerkleTestTree();
        foreach (var input in VectorLeafInputs)
        {
            tree.Append(input);
        }

        return tree;
    }

    public static byte[] NaiveRoot(IReadOnlyList<byte[]> leafHashes, long start, long end)
    {
        var n = end - start;
        if (n == 0)
        {
            return MerkleHash.Empty;
        }

        if (n == 1)
        {
            return leafHashes[(int)start];
        }

        long k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return MerkleHash.Node(NaiveRoot(leafHashes, start, start + k), NaiveRoot(leafHashes, start + k, end));
    }

    public void Append(byte[] leafBytes)
    {
        var hash = MerkleHash.Leaf(leafBytes);
        _leafHashes.Add(hash);
        Frontier.Append(hash, (level, index, node) =>
        {
            if (_storesNodes && level >= MerkleNodes.StoredLevel)
            {
                _nodes[(level, index)] = node;
            }
        });
    }

    public byte[] LeafHash(long index) => (byte[])_leafHashes[(int)index].Clone();

    public byte[] RootAt(long size) => NaiveRoot(_leafHashes, 0, size);

    public void ResetCounts()
    {
        NodeReads = 0;
        LeafReads = 0;
        LeavesRead = 0;
    }

    public ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct)
    {
        NodeReads++;
        return ValueTask.FromResult(_nodes.TryGetValue((level, index), out var hash) ? (byte[]?)hash.Clone() : null);
    }

    public ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct)
    {
        if (start < 0 || count < 0 || start + count > _leafHashes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Leaves [{start}, {start + count}) are outside a tree of {_leafHashes.Count}.");
        }

        LeafReads++;
        LeavesRead += count;
        IReadOnlyList<byte[]> hashes = _leafHashes.GetRange((int)start, count).Select(h => (byte[])h.Clone()).ToArray();
        return ValueTask.FromResult(hashes);
    }
}
