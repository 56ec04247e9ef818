using System.Buffers.Binary;
using System.Numerics;

namespace Witness.Integrity;

/// <summary>
/// The compact range [0, <see cref="Size"/>) of a Merkle log: the roots of the perfect subtrees the
/// tree is made of, one per set bit of the size, largest (leftmost) first. It is all a writer needs to
/// keep in order to append leaves and compute the root, in O(log n) space and time per leaf.
/// Not thread-safe; <see cref="Clone"/> gives an independent copy.
/// </summary>
public sealed class MerkleFrontier
{
    private const int SizeBytes = sizeof(long);

    private readonly List<byte[]> _subtreeRoots;

    /// <summary>An empty tree.</summary>
    public MerkleFrontier()
        : this(0, [])
    {
    }

    private MerkleFrontier(long size, List<byte[]> subtreeRoots)
    {
        Size = size;
        _subtreeRoots = subtreeRoots;
    }

    /// <summary>
    /// The frontier of a tree of <paramref name="size"/> leaves from its perfect subtree roots, largest
    /// first (one per set bit of the size), e.g. read back from stored nodes after retention.
    /// </summary>
    /// <exception cref="ArgumentException">The count of roots does not match the size, or a root is not 32 bytes.</exception>
    public static MerkleFrontier FromSubtreeRoots(long size, IReadOnlyList<byte[]> roots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != BitOperations.PopCount((ulong)size) || roots.Any(r => r is not { Length: MerkleHash.Size }))
        {
            throw new ArgumentException($"A tree of {size} leaves has {BitOperations.PopCount((ulong)size)} subtree roots of {MerkleHash.Size} bytes.", nameof(roots));
        }

        return new MerkleFrontier(size, roots.Select(r => (byte[])r.Clone()).ToList());
    }

    /// <summary>The number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>
    /// Appends the leaf with index <see cref="Size"/>. For every perfect subtree this completes, from the
    /// lowest to the highest, calls <paramref name="onNodeCompleted"/> with (level, index, hash): level ≥ 1,
    /// and node (L, i) covers the leaves [i·2^L, (i+1)·2^L). Leaves themselves (level 0) are not reported.
    /// </summary>
    /// <exception cref="ArgumentException">The leaf hash is not 32 bytes long.</exception>
    /// <exception cref="InvalidOperationException">The tree is full (<see cref="long.MaxValue"/> leaves).</exception>
    public void Append(ReadOnlySpan<byte> leafHash, Action<int, long, byte[]>? onNodeCompleted = null) =>
        AppendSubtree(0, leafHash, onNodeCompleted);

    /// <summary>
    /// Appends the 2^<paramref name="level"/> leaves from <see cref="Size"/> on at once, given the root of
    /// the perfect subtree they make (a leaf hash for level 0): the same tree as appending them one by one.
    /// Reports the nodes this completes above <paramref name="level"/> as <see cref="Append"/> does; the
    /// subtree's own nodes, the root included, are the caller's to have checked.
    /// </summary>
    /// <exception cref="ArgumentException">The root is not 32 bytes long.</exception>
    /// <exception cref="InvalidOperationException">The size is not a multiple of 2^level (the subtree would not be aligned), or the tree would grow past <see cref="long.MaxValue"/> leaves.</exception>
    public void AppendSubtree(int level, ReadOnlySpan<byte> root, Action<int, long, byte[]>? onNodeCompleted = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 62);
        if (root.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A leaf or subtree hash is {MerkleHash.Size} bytes.", nameof(root));
        }

        var leaves = 1L << level;
        if ((Size & (leaves - 1)) != 0)
        {
            throw new InvalidOperationException($"A subtree of {leaves} leaves cannot start at leaf {Size}: it must start at a multiple of its size.");
        }

        if (Size > long.MaxValue - leaves)
        {
            throw new InvalidOperationException("The tree cannot grow any further.");
        }

        var hash = root.ToArray();
        var index = Size >> level;
        // Each set bit of the old size at or above the level is a perfect subtree waiting for a right sibling.
        while (((Size >> level) & 1) == 1)
        {
            hash = MerkleHash.Node(_subtreeRoots[^1], hash);
            _subtreeRoots.RemoveAt(_subtreeRoots.Count - 1);
            level++;
            index >>= 1;
            onNodeCompleted?.Invoke(level, index, (byte[])hash.Clone());
        }

        _subtreeRoots.Add(hash);
        Size += leaves;
    }

    /// <summary>The RFC 9162 Merkle tree hash of all leaves; <see cref="MerkleHash.Empty"/> when there are none.</summary>
    public byte[] Root()
    {
        if (_subtreeRoots.Count == 0)
        {
            return MerkleHash.Empty;
        }

        var root = (byte[])_subtreeRoots[^1].Clone();
        for (var i = _subtreeRoots.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_subtreeRoots[i], root);
        }

        return root;
    }

    /// <summary>Copies of the perfect subtree roots, largest (leftmost) first; one per set bit of <see cref="Size"/>.</summary>
    public IReadOnlyList<byte[]> SubtreeRoots() => _subtreeRoots.Select(h => (byte[])h.Clone()).ToArray();

    /// <summary>The compact binary form: the size as 8 bytes big-endian, then the 32-byte subtree roots, largest first.</summary>
    public byte[] Serialize()
    {
        var bytes = new byte[SizeBytes + (_subtreeRoots.Count * MerkleHash.Size)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Size);
        for (var i = 0; i < _subtreeRoots.Count; i++)
        {
            _subtreeRoots[i].CopyTo(bytes, SizeBytes + (i * MerkleHash.Size));
        }

        return bytes;
    }

    /// <summary>Reads the form written by <see cref="Serialize"/>.</summary>
    /// <exception cref="FormatException">The size is negative or the length does not match it.</exception>
    public static MerkleFrontier Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < SizeBytes)
        {
            throw new FormatException("A serialized frontier starts with an 8-byte size.");
        }

        var size = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (size < 0)
        {
            throw new FormatException("A serialized frontier has a negative size.");
        }

        var count = BitOperations.PopCount((ulong)size);
        if (bytes.Length != SizeBytes + (count * MerkleHash.Size))
        {
            throw new FormatException($"A frontier of size {size} holds {count} hashes, which is {SizeBytes + (count * MerkleHash.Size)} bytes, not {bytes.Length}.");
        }

        var roots = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            roots.Add(bytes.Slice(SizeBytes + (i * MerkleHash.Size), MerkleHash.Size).ToArray());
        }

        return new MerkleFrontier(size, roots);
    }

    /// <summary>An independent copy: appending to one does not change the other.</summary>
    public MerkleFrontier Clone() => new(Size, _subtreeRoots.Select(h => (byte[])h.Clone()).ToList());
}
