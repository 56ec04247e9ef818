namespace Witness.Integrity;

/// <summary>
/// Where proofs read the stored hashes of one tenant's log. The stores implement it over their tables;
/// <see cref="SubtreeHasher"/> is its only reader.
/// </summary>
public interface INodeSource
{
    /// <summary>
    /// The stored hash of the perfect subtree (level, index), which covers the leaves
    /// [index·2^level, (index+1)·2^level), or null when it is not stored. Stores keep only
    /// levels ≥ <see cref="MerkleNodes.StoredLevel"/>; a missing node is computed from lower ones.
    /// </summary>
    ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct);

    /// <summary>
    /// The leaf hashes of the leaves [start, start + count), in order: exactly <paramref name="count"/>
    /// 32-byte hashes (leaf index = seq − 1). Only ranges inside the tree are asked for.
    /// </summary>
    ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct);
}
