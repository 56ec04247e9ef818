namespace Witness.Integrity;

/// <summary>
/// Checks RFC 9162 proofs without any store: what a tenant, an auditor or <c>witness verify</c> runs.
/// Every method returns false, and never throws, for a proof that is malformed (wrong length, a hash
/// that is not 32 bytes, null entries) or does not prove the claim.
/// </summary>
public static class MerkleVerifier
{
    /// <summary>
    /// True when <paramref name="proof"/> shows that the leaf with hash <paramref name="leafHash"/> is leaf
    /// <paramref name="leafIndex"/> of the tree of <paramref name="treeSize"/> leaves whose root is
    /// <paramref name="root"/> (RFC 9162 §2.1.3.2).
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long leafIndex, long treeSize, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (leafIndex < 0 || leafIndex >= treeSize || !IsHash(leafHash) || !IsHash(root) || !AreHashes(proof))
        {
            return false;
        }

        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && root.SequenceEqual(r);
    }

    /// <summary>
    /// True when <paramref name="proof"/> shows that the tree of <paramref name="size2"/> leaves with root
    /// <paramref name="root2"/> extends the tree of <paramref name="size1"/> leaves with root
    /// <paramref name="root1"/> (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal roots; size1 = 0
    /// needs an empty proof and root1 = <see cref="MerkleHash.Empty"/>.
    /// </summary>
    public static bool VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        if (size1 < 0 || size2 < size1 || !IsHash(root1) || !IsHash(root2) || !AreHashes(proof))
        {
            return false;
        }

        if (size1 == size2)
        {
            return proof.Count == 0 && root1.SequenceEqual(root2);
        }

        if (size1 == 0)
        {
            return proof.Count == 0 && root1.SequenceEqual(MerkleHash.Empty);
        }

        if (proof.Count == 0)
        {
            return false;
        }

        // When size1 is a power of two the old root is itself a node of the new tree, so the proof
        // leaves it out and the verifier starts from it.
        IReadOnlyList<byte[]> path = (size1 & (size1 - 1)) == 0 ? [root1.ToArray(), .. proof] : proof;
        var fn = size1 - 1;
        var sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            if (sn == 0)
            {
                return false;
            }

            var c = path[i];
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && root1.SequenceEqual(fr) && root2.SequenceEqual(sr);
    }

    private static bool IsHash(ReadOnlySpan<byte> hash) => hash.Length == MerkleHash.Size;

    private static bool AreHashes(IReadOnlyList<byte[]>? proof)
    {
        if (proof is null)
        {
            return false;
        }

        foreach (var hash in proof)
        {
            if (hash is not { Length: MerkleHash.Size })
            {
                return false;
            }
        }

        return true;
    }
}
