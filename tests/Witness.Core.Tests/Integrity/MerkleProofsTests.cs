using Witness.Integrity;
using Xunit;

namespace Witness.Tests.Integrity;

public sealed class MerkleProofsTests
{
    // transparency-dev/merkle proof/verify_test.go; leaf numbers there are 1-based, indexes here 0-based.
    public static TheoryData<long, long, string[]> InclusionVectors => new()
    {
        { 0, 1, [] },
        {
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        {
            1, 5,
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
    };

    public static TheoryData<long, long, string[]> ConsistencyVectors => new()
    {
        { 1, 1, [] },
        {
            1, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        {
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
        {
            6, 7,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(InclusionVectors))]
    public async Task Inclusion_proof_matches_rfc6962_vector(long leafIndex, long treeSize, string[] expected)
    {
        var tree = MerkleTestTree.WithVectorLeaves();

        var proof = await MerkleProofs.InclusionAsync(leafIndex, treeSize, tree, CancellationToken.None);

        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleVerifier.VerifyInclusion(tree.LeafHash(leafIndex), leafIndex, treeSize, proof, tree.RootAt(treeSize)));
    }

    [Theory]
    [MemberData(nameof(ConsistencyVectors))]
    public async Task Consistency_proof_matches_rfc6962_vector(long size1, long size2, string[] expected)
    {
        var tree = MerkleTestTree.WithVectorLeaves();

        var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleVerifier.VerifyConsistency(size1, size2, proof, tree.RootAt(size1), tree.RootAt(size2)));
    }

    [Fact]
    public async Task Inclusion_proofs_verify_for_every_index_in_every_tree_up_to_70_leaves()
    {
        var tree = MerkleTestTree.WithLeaves(70);
        for (long size = 1; size <= 70; size++)
        {
            var root = tree.RootAt(size);
            for (long index = 0; index < size; index++)
            {
                var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

                Assert.True(MerkleVerifier.VerifyInclusion(tree.LeafHash(index), index, size, proof, root), $"leaf {index} of {size}");
            }
        }
    }

    [Fact]
    public async Task Inclusion_proofs_verify_at_random_positions_of_a_100_000_leaf_tree()
    {
        var tree = MerkleTestTree.WithLeaves(100_000);
        var random = new Random(9162);
        foreach (var size in new long[] { 256, 257, 511, 4096, 65_536, 65_537, 99_999, 100_000 }.Concat(Enumerable.Range(0, 6).Select(_ => (long)random.Next(1, 100_001))))
        {
            var root = tree.RootAt(size);
            foreach (var index in new[] { 0, size - 1, size / 2, random.NextInt64(size), random.NextInt64(size) })
            {
                var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

                Assert.True(MerkleVerifier.VerifyInclusion(tree.LeafHash(index), index, size, proof, root), $"leaf {index} of {size}");
            }
        }
    }

    [Fact]
    public async Task Inclusion_proof_in_a_million_leaf_tree_reads_few_nodes_and_at_most_two_leaf_ranges()
    {
        const long size = 1_000_003;
        var tree = MerkleTestTree.WithLeaves(size);
        var root = tree.Frontier.Root();
        var random = new Random(6962);
        foreach (var index in new[] { 0, size - 1, 524_288, random.NextInt64(size), random.NextInt64(size), random.NextInt64(size) })
        {
            tree.ResetCounts();

            var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

            Assert.True(MerkleVerifier.VerifyInclusion(tree.LeafHash(index), index, size, proof, root));
            Assert.InRange(tree.NodeReads, 0, 2 * 20);
            Assert.InRange(tree.LeafReads, 0, 2);
            Assert.InRange(tree.LeavesRead, 0, 2 * 256);
        }
    }

    [Fact]
    public async Task Consistency_proof_in_a_million_leaf_tree_reads_few_nodes_and_at_most_two_leaf_ranges()
    {
        const long size2 = 1_000_003;
        var tree = MerkleTestTree.WithLeaves(size2);
        var random = new Random(4);
        var size1 = random.NextInt64(1, size2);
        var root1 = tree.RootAt(size1);
        tree.ResetCounts();

        var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

        Assert.True(MerkleVerifier.VerifyConsistency(size1, size2, proof, root1, tree.Frontier.Root()));
        Assert.InRange(tree.NodeReads, 0, 2 * 20);
        Assert.InRange(tree.LeafReads, 0, 2);
    }

    [Fact]
    public async Task Proofs_are_right_when_the_store_keeps_no_nodes_at_all()
    {
        var tree = MerkleTestTree.WithLeaves(3000, storesNodes: false);
        var root = tree.RootAt(3000);

        var inclusion = await MerkleProofs.InclusionAsync(1234, 3000, tree, CancellationToken.None);
        var consistency = await MerkleProofs.ConsistencyAsync(1000, 3000, tree, CancellationToken.None);

        Assert.True(MerkleVerifier.VerifyInclusion(tree.LeafHash(1234), 1234, 3000, inclusion, root));
        Assert.True(MerkleVerifier.VerifyConsistency(1000, 3000, consistency, tree.RootAt(1000), root));
    }

    [Fact]
    public async Task Subtree_hash_of_any_range_matches_the_naive_hash()
    {
        var tree = MerkleTestTree.WithLeaves(2000);
        var leaves = Enumerable.Range(0, 2000).Select(i => tree.LeafHash(i)).ToArray();
        var hasher = new SubtreeHasher(tree);
        var random = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var start = random.Next(0, 2000);
            var end = random.Next(start, 2001);

            Assert.Equal(MerkleTestTree.NaiveRoot(leaves, start, end), await hasher.HashAsync(start, end, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Consistency_proofs_verify_for_every_pair_of_sizes_up_to_40()
    {
        var tree = MerkleTestTree.WithLeaves(40);
        for (long size2 = 0; size2 <= 40; size2++)
        {
            for (long size1 = 0; size1 <= size2; size1++)
            {
                var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

                Assert.True(MerkleVerifier.VerifyConsistency(size1, size2, proof, tree.RootAt(size1), tree.RootAt(size2)), $"{size1} to {size2}");
            }
        }
    }

    [Fact]
    public async Task Consistency_proofs_verify_between_random_sizes_of_a_100_000_leaf_tree()
    {
        var tree = MerkleTestTree.WithLeaves(100_000);
        var random = new Random(2);
        var pairs = new List<(long, long)> { (256, 512), (255, 257), (1, 100_000), (65_536, 100_000), (99_999, 100_000) };
        for (var i = 0; i < 10; i++)
        {
            var size2 = random.NextInt64(1, 100_001);
            pairs.Add((random.NextInt64(1, size2 + 1), size2));
        }

        foreach (var (size1, size2) in pairs)
        {
            var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

            Assert.True(MerkleVerifier.VerifyConsistency(size1, size2, proof, tree.RootAt(size1), tree.RootAt(size2)), $"{size1} to {size2}");
        }
    }

    [Theory]
    [InlineData(-1, 5)]
    [InlineData(5, 5)]
    [InlineData(6, 5)]
    [InlineData(0, 0)]
    public async Task Inclusion_proof_rejects_an_index_outside_the_tree(long leafIndex, long treeSize)
    {
        var tree = MerkleTestTree.WithLeaves(5);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.InclusionAsync(leafIndex, treeSize, tree, CancellationToken.None));
    }

    [Theory]
    [InlineData(-1, 5)]
    [InlineData(6, 5)]
    [InlineData(1, 0)]
    public async Task Consistency_proof_rejects_sizes_that_go_backwards_or_below_zero(long size1, long size2)
    {
        var tree = MerkleTestTree.WithLeaves(5);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None));
    }
}
