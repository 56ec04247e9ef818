namespace Witness.Integrity;

/// <summary>
/// Builds the RFC 9162 proofs of a log from its stored hashes. Each proof is the list of subtree hashes
/// named by the RFC, read through one <see cref="SubtreeHasher"/> call so that node and leaf reads are
/// shared: O(log n) node reads and at most two leaf reads per proof.
/// </summary>
public static class MerkleProofs
{
    /// <summary>
    /// The inclusion proof of leaf <paramref name="leafIndex"/> (0-based, seq − 1) in the tree of the first
    /// <paramref name="treeSize"/> leaves: RFC 9162 §2.1.3.1 PATH(m, D[n]), lowest sibling first. Empty
    /// for a one-leaf tree.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ leafIndex &lt; treeSize.</exception>
    public static async ValueTask<byte[][]> InclusionAsync(long leafIndex, long treeSize, INodeSource source, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, treeSize);
        ArgumentNullException.ThrowIfNull(source);

        // Walk down from the root; the RFC lists the siblings from the bottom up.
        var siblings = new List<(long Start, long End)>();
        long start = 0;
        var end = treeSize;
        while (end - start > 1)
        {
            var k = MerkleHash.SplitPoint(end - start);
            if (leafIndex < start + k)
            {
                siblings.Add((start + k, end));
                end = start + k;
            }
            else
            {
                siblings.Add((start, start + k));
                start += k;
            }
        }

        siblings.Reverse();
        return await new SubtreeHasher(source).HashManyAsync(siblings, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The consistency proof from the tree of the first <paramref name="size1"/> leaves to the tree of the
    /// first <paramref name="size2"/>: RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true). Empty
    /// when size1 is 0 or equals size2, where there is nothing to prove.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ size1 ≤ size2.</exception>
    public static async ValueTask<byte[][]> ConsistencyAsync(long size1, long size2, INodeSource source, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size1, size2);
        ArgumentNullException.ThrowIfNull(source);
        if (size1 == 0 || size1 == size2)
        {
            return [];
        }

        // SUBPROOF unrolled: walk down from the root, keeping m relative to the current subtree and
        // whether that subtree is still a left edge of the tree (the RFC's b).
        var outer = new List<(long Start, long End)>();
        (long Start, long End)? inner = null;
        long start = 0;
        var end = size2;
        var m = size1;
        var onLeftEdge = true;
        while (true)
        {
            var n = end - start;
            if (m == n)
            {
                if (!onLeftEdge)
                {
                    inner = (start, end);
                }

                break;
            }

            var k = MerkleHash.SplitPoint(n);
            if (m <= k)
            {
                outer.Add((start + k, end));
                end = start + k;
            }
            else
            {
                outer.Add((start, start + k));
                start += k;
                m -= k;
                onLeftEdge = false;
            }
        }

        outer.Reverse();
        if (inner is { } innermost)
        {
            outer.Insert(0, innermost);
        }

        return await new SubtreeHasher(source).HashManyAsync(outer, ct).ConfigureAwait(false);
    }
}
