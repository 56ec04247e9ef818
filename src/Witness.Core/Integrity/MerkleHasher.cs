using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// The hashes of <see cref="MerkleHash"/>, written into the caller's buffers by one SHA-256 context that
/// is reset after each hash: for hashing a million leaves and nodes on one thread (verification), with
/// no array per hash and no context set up per call, which costs about as much as hashing a node.
/// Not thread-safe: one per thread.
/// </summary>
public sealed class MerkleHasher : IDisposable
{
    private static readonly byte[] LeafPrefix = [0x00];

    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Writes <c>SHA-256(0x00 ‖ leafBytes)</c> to <paramref name="hash"/> (32 bytes).</summary>
    public void Leaf(ReadOnlySpan<byte> leafBytes, Span<byte> hash)
    {
        _sha256.AppendData(LeafPrefix);
        _sha256.AppendData(leafBytes);
        _sha256.GetHashAndReset(hash);
    }

    /// <summary>Writes <c>SHA-256(0x01 ‖ left ‖ right)</c> to <paramref name="hash"/> (32 bytes), which may be where a child is.</summary>
    public void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> hash)
    {
        Span<byte> input = stackalloc byte[1 + (2 * MerkleHash.Size)];
        input[0] = 0x01;
        left[..MerkleHash.Size].CopyTo(input[1..]);
        right[..MerkleHash.Size].CopyTo(input[(1 + MerkleHash.Size)..]);
        _sha256.AppendData(input);
        _sha256.GetHashAndReset(hash);
    }

    public void Dispose() => _sha256.Dispose();
}
