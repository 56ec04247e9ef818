namespace Witness.Integrity;

/// <summary>What the stores keep of the interior of each log.</summary>
public static class MerkleNodes
{
    /// <summary>
    /// Stores keep every completed node at this level and above (one per 256 leaves, then one per 512, …),
    /// so any subtree hash needs at most one 256-leaf read plus O(log n) node reads, and the nodes take
    /// about 1/128 of the space of the leaf hashes.
    /// </summary>
    public const int StoredLevel = 8;
}
