using Witness.Integrity;
using Xunit;

namespace Witness.Tests.Integrity;

public sealed class MerkleVerifierTests
{
    // The bits flipped in each proof hash: the first and last, and a few more drawn from a fixed seed, so a
    // failure repeats exactly; flipping all 256 of every hash of every proof made these the slowest tests.
    private const int Seed = 20261205;
    private const int RandomBitsPerHash = 6;

    private static readonly byte[] SomeHash = Convert.FromHexString("abacaba000000000000000000000000000000000000000000060061e00123456");

    [Fact]
    public async Task A_changed_bit_or_length_of_an_inclusion_proof_is_rejected()
    {
        var bits = new Random(Seed);
        var tree = MerkleTestTree.WithLeaves(70);
        for (long size = 1; size <= 70; size++)
        {
            var root = tree.RootAt(size);
            for (long index = 0; index < size; index++)
            {
                var leaf = tree.LeafHash(index);
                var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

                foreach (var (wrong, what) in Mutations(proof, root, bits))
                {
                    Assert.False(MerkleVerifier.VerifyInclusion(leaf, index, size, wrong, root), $"leaf {index} of {size}: {what}");
                }
            }
        }
    }

    [Fact]
    public async Task Wrong_index_size_leaf_or_root_fails_inclusion()
    {
        var tree = MerkleTestTree.WithLeaves(70);
        for (long size = 1; size <= 70; size++)
        {
            var root = tree.RootAt(size);
            for (long index = 0; index < size; index++)
            {
                var leaf = tree.LeafHash(index);
                var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

                foreach (var wrongIndex in new[] { index - 1, index + 1, index ^ 2, size, -1 })
                {
                    Assert.False(MerkleVerifier.VerifyInclusion(leaf, wrongIndex, size, proof, root), $"index {wrongIndex} for leaf {index} of {size}");
                }

                // The root binds the size: a neighbouring size whose path has the same shape takes the same
                // proof, but never with this root. Doubling or halving the size changes the path's length.
                foreach (var wrongSize in new[] { size * 2, size / 2 })
                {
                    Assert.False(MerkleVerifier.VerifyInclusion(leaf, index, wrongSize, proof, root), $"size {wrongSize} for leaf {index} of {size}");
                }

                Assert.False(MerkleVerifier.VerifyInclusion(SomeHash, index, size, proof, root));
                Assert.False(MerkleVerifier.VerifyInclusion(leaf, index, size, proof, SomeHash));
                Assert.False(MerkleVerifier.VerifyInclusion(leaf, index, size, proof, MerkleHash.Empty));
            }
        }
    }

    [Fact]
    public async Task A_changed_bit_or_length_of_a_consistency_proof_is_rejected()
    {
        var bits = new Random(Seed);
        var tree = MerkleTestTree.WithLeaves(40);
        for (long size2 = 1; size2 <= 40; size2++)
        {
            var root2 = tree.RootAt(size2);
            for (long size1 = 1; size1 < size2; size1++)
            {
                var root1 = tree.RootAt(size1);
                var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

                foreach (var (wrong, what) in Mutations(proof, root1, bits).Concat(Mutations(proof, root2, bits)))
                {
                    Assert.False(MerkleVerifier.VerifyConsistency(size1, size2, wrong, root1, root2), $"{size1} to {size2}: {what}");
                }

                Assert.False(MerkleVerifier.VerifyConsistency(size1, size2, [], root1, root2), $"{size1} to {size2}: empty proof");
                Assert.False(MerkleVerifier.VerifyConsistency(size1, size2, proof, root2, root1), $"{size1} to {size2}: swapped roots");
                Assert.False(MerkleVerifier.VerifyConsistency(size1, size2, proof, SomeHash, root2), $"{size1} to {size2}: wrong root1");
                Assert.False(MerkleVerifier.VerifyConsistency(size1, size2, proof, root1, SomeHash), $"{size1} to {size2}: wrong root2");
                Assert.False(MerkleVerifier.VerifyConsistency(size2, size1, proof, root2, root1), $"{size1} to {size2}: backwards");
                foreach (var (wrong1, wrong2) in new[] { (size1 - 1, size2), (size1 + 1, size2), (size1 ^ 2, size2), (size1, size2 * 2), (size1, size2 / 2) })
                {
                    Assert.False(MerkleVerifier.VerifyConsistency(wrong1, wrong2, proof, root1, root2), $"{size1} to {size2} claimed as {wrong1} to {wrong2}");
                }
            }
        }
    }

    [Fact]
    public void Trivial_consistency_needs_an_empty_proof_and_matching_roots()
    {
        var tree = MerkleTestTree.WithLeaves(3);
        var root = tree.RootAt(3);

        Assert.True(MerkleVerifier.VerifyConsistency(3, 3, [], root, root));
        Assert.True(MerkleVerifier.VerifyConsistency(0, 3, [], MerkleHash.Empty, root));
        Assert.True(MerkleVerifier.VerifyConsistency(0, 0, [], MerkleHash.Empty, MerkleHash.Empty));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 3, [], root, SomeHash));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 3, [root], root, root));
        Assert.False(MerkleVerifier.VerifyConsistency(0, 3, [], SomeHash, root));
        Assert.False(MerkleVerifier.VerifyConsistency(0, 3, [MerkleHash.Empty], MerkleHash.Empty, root));
    }

    [Fact]
    public void Malformed_input_gives_false_instead_of_an_exception()
    {
        var tree = MerkleTestTree.WithLeaves(8);
        var root = tree.RootAt(8);
        var leaf = tree.LeafHash(3);

        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 3, 8, null!, root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 3, 8, [null!, SomeHash, SomeHash], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 3, 8, [[], SomeHash, SomeHash], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf.AsSpan(1), 3, 8, [SomeHash, SomeHash, SomeHash], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 3, 8, [SomeHash, SomeHash, SomeHash], root.AsSpan(1)));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 0, 0, [], MerkleHash.Empty));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, long.MaxValue, long.MinValue, [], root));
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, 0, long.MaxValue, Enumerable.Repeat(SomeHash, 70).ToArray(), root));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 8, null!, tree.RootAt(3), root));
        Assert.False(MerkleVerifier.VerifyConsistency(3, 8, [null!], tree.RootAt(3), root));
        Assert.False(MerkleVerifier.VerifyConsistency(-1, 8, [], tree.RootAt(3), root));
        Assert.False(MerkleVerifier.VerifyConsistency(3, long.MaxValue, Enumerable.Repeat(SomeHash, 70).ToArray(), tree.RootAt(3), root));
    }

    private static IEnumerable<(byte[][] Proof, string What)> Mutations(byte[][] proof, byte[] root, Random random)
    {
        for (var i = 0; i < proof.Length; i++)
        {
            int[] sampled = [0, (MerkleHash.Size * 8) - 1, .. Enumerable.Range(0, RandomBitsPerHash).Select(_ => random.Next(MerkleHash.Size * 8))];
            foreach (var bit in sampled)
            {
                var wrong = proof.Select(h => (byte[])h.Clone()).ToArray();
                wrong[i][bit / 8] ^= (byte)(1 << (bit % 8));
                yield return (wrong, $"bit {bit} of proof[{i}] flipped");
            }
        }

        if (proof.Length > 0)
        {
            yield return (proof[..^1], "last hash removed");
            yield return (proof[1..], "first hash removed");
            yield return ([proof[0], .. proof], "first hash repeated");
        }

        yield return ([.. proof, root], "root appended");
        yield return ([root, .. proof], "root prepended");
        yield return ([.. proof, SomeHash], "hash appended");
        yield return ([SomeHash, .. proof], "hash prepended");
        yield return ([.. proof, []], "empty entry appended");
    }
}
