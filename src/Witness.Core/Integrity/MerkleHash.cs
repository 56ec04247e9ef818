using System.Numerics;
using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// The hashes of RFC 9162 §2.1 with SHA-256: a leaf is <c>SHA-256(0x00 ‖ leaf bytes)</c>, an interior
/// node <c>SHA-256(0x01 ‖ left ‖ right)</c>, and the empty tree <c>SHA-256("")</c>. The prefixes keep
/// a leaf from ever being taken for a node. Every method returns a new 32-byte array.
/// </summary>
public static class MerkleHash
{
    /// <summary>The length in bytes of every hash in the log.</summary>
    public const int Size = 32;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    private static readonly byte[] EmptyRoot = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>The root of the empty tree, <c>SHA-256("")</c>; a fresh copy on every call.</summary>
    public static byte[] Empty => (byte[])EmptyRoot.Clone();

    /// <summary>The hash of one leaf: <c>SHA-256(0x00 ‖ leafBytes)</c>.</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> leafBytes)
    {
        var hash = new byte[Size];
        Leaf(leafBytes, hash);
        return hash;
    }

    /// <summary>Writes the hash of one leaf, <c>SHA-256(0x00 ‖ leafBytes)</c>, to <paramref name="hash"/> (32 bytes).</summary>
    public static void Leaf(ReadOnlySpan<byte> leafBytes, Span<byte> hash) => Sha256.Hash(LeafPrefix, leafBytes, hash);

    /// <summary>The hash of an interior node: <c>SHA-256(0x01 ‖ left ‖ right)</c>.</summary>
    /// <exception cref="ArgumentException">A child is not 32 bytes long.</exception>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[Size];
        Node(left, right, hash);
        return hash;
    }

    /// <summary>Writes the hash of an interior node, <c>SHA-256(0x01 ‖ left ‖ right)</c>, to <paramref name="hash"/> (32 bytes), which may be where a child is.</summary>
    /// <exception cref="ArgumentException">A child is not 32 bytes long.</exception>
    public static void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> hash)
    {
        if (left.Length != Size || right.Length != Size)
        {
            throw new ArgumentException($"Both children must be {Size}-byte hashes.");
        }

        Span<byte> children = stackalloc byte[2 * Size];
        left.CopyTo(children);
        right.CopyTo(children[Size..]);
        Sha256.Hash(NodePrefix, children, hash);
    }

    /// <summary>
    /// Hashes one level of a perfect subtree up, in place: the first 2·<paramref name="nodes"/> 32-byte
    /// hashes of <paramref name="hashes"/>, children in order, become the first <paramref name="nodes"/>
    /// hashes of their parents. Called once per level, it leaves the subtree's root in the first 32 bytes.
    /// </summary>
    internal static void HashLevelUp(Span<byte> hashes, int nodes)
    {
        for (var j = 0; j < nodes; j++)
        {
            // Parent j overwrites child j, which parent j / 2 ≤ j has already read.
            Node(hashes.Slice(2 * j * Size, Size), hashes.Slice(((2 * j) + 1) * Size, Size), hashes.Slice(j * Size, Size));
        }
    }

    /// <summary>The RFC 9162 split point of <paramref name="n"/> ≥ 2 leaves: the largest power of two below n.</summary>
    internal static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>The root of the leaf hashes <c>leaves[offset, offset + count)</c>, computed in memory.</summary>
    internal static byte[] RootOf(IReadOnlyList<byte[]> leaves, int offset, int count)
    {
        if (count == 0)
        {
            return Empty;
        }

        if (count == 1)
        {
            return (byte[])leaves[offset].Clone();
        }

        var k = (int)SplitPoint(count);
        return Node(RootOf(leaves, offset, k), RootOf(leaves, offset + k, count - k));
    }
}
