using System.Numerics;
using Witness.Integrity;
using Xunit;

namespace Witness.Tests.Integrity;

public sealed class MerkleFrontierTests
{
    // Roots of the trees of the first 0..8 vector leaves (transparency-dev/merkle testonly.RootHashes).
    private static readonly string[] VectorRoots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Eight_leaf_tree_root_matches_rfc6962_vector()
    {
        var tree = MerkleTestTree.WithVectorLeaves();

        Assert.Equal("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", Convert.ToHexStringLower(tree.Frontier.Root()));
    }

    [Fact]
    public void Root_matches_rfc6962_vector_at_every_size_from_0_to_8()
    {
        var frontier = new MerkleFrontier();
        Assert.Equal(VectorRoots[0], Convert.ToHexStringLower(frontier.Root()));
        for (var size = 1; size <= 8; size++)
        {
            frontier.Append(MerkleHash.Leaf(MerkleTestTree.VectorLeafInputs[size - 1]));

            Assert.Equal(VectorRoots[size], Convert.ToHexStringLower(frontier.Root()));
        }
    }

    [Fact]
    public void Subtree_roots_of_seven_vector_leaves_match_the_compact_range_vector()
    {
        var frontier = new MerkleFrontier();
        foreach (var input in MerkleTestTree.VectorLeafInputs.Take(7))
        {
            frontier.Append(MerkleHash.Leaf(input));
        }

        Assert.Equal(
            [
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            ],
            frontier.SubtreeRoots().Select(Convert.ToHexStringLower));
    }

    [Fact]
    public void Root_matches_naive_recursive_hash_for_every_size_up_to_300()
    {
        var tree = MerkleTestTree.WithLeaves(300);
        var frontier = new MerkleFrontier();
        Assert.Equal(tree.RootAt(0), frontier.Root());
        for (var size = 1; size <= 300; size++)
        {
            frontier.Append(tree.LeafHash(size - 1));

            Assert.Equal(tree.RootAt(size), frontier.Root());
            Assert.Equal(BitOperations.PopCount((ulong)size), frontier.SubtreeRoots().Count);
        }
    }

    [Theory]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(4097)]
    [InlineData(12_345)]
    [InlineData(65_537)]
    public void Root_matches_naive_recursive_hash_for_big_sizes(int size)
    {
        var tree = MerkleTestTree.WithLeaves(size);

        Assert.Equal(tree.RootAt(size), tree.Frontier.Root());
    }

    [Fact]
    public void Every_completed_node_is_reported_once_with_its_level_index_and_hash()
    {
        var tree = MerkleTestTree.WithLeaves(300);
        var frontier = new MerkleFrontier();
        var reported = new List<(int Level, long Index, byte[] Hash)>();
        for (var i = 0; i < 300; i++)
        {
            frontier.Append(tree.LeafHash(i), (level, index, hash) => reported.Add((level, index, hash)));
        }

        // A tree of n leaves has n - popcount(n) completed interior nodes.
        Assert.Equal(300 - BitOperations.PopCount(300u), reported.Count);
        Assert.Equal(reported.Count, reported.Select(r => (r.Level, r.Index)).Distinct().Count());
        foreach (var (level, index, hash) in reported)
        {
            Assert.InRange(level, 1, 8);
            var start = index << level;
            var end = (index + 1) << level;
            Assert.True(end <= 300);
            Assert.Equal(MerkleTestTree.NaiveRoot(Enumerable.Range(0, 300).Select(i => tree.LeafHash(i)).ToArray(), start, end), hash);
        }
    }

    [Fact]
    public void Appending_the_256th_leaf_completes_the_first_stored_level_node()
    {
        var frontier = new MerkleFrontier();
        var completed = new List<(int Level, long Index)>();
        for (var i = 0; i < 256; i++)
        {
            completed.Clear();
            frontier.Append(MerkleHash.Leaf([(byte)i]), (level, index, _) => completed.Add((level, index)));
        }

        Assert.Equal([(1, 127L), (2, 63L), (3, 31L), (4, 15L), (5, 7L), (6, 3L), (7, 1L), (8, 0L)], completed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(256)]
    [InlineData(1000)]
    public void Serialized_frontier_reads_back_to_the_same_tree(int size)
    {
        var tree = MerkleTestTree.WithLeaves(size);

        var bytes = tree.Frontier.Serialize();
        var copy = MerkleFrontier.Deserialize(bytes);

        Assert.Equal(8 + (32 * BitOperations.PopCount((ulong)size)), bytes.Length);
        Assert.Equal(size, copy.Size);
        Assert.Equal(tree.Frontier.Root(), copy.Root());
        var leaf = MerkleHash.Leaf([1, 2, 3]);
        copy.Append(leaf);
        tree.Append([1, 2, 3]);
        Assert.Equal(tree.Frontier.Root(), copy.Root());
    }

    [Fact]
    public void Deserialize_rejects_wrong_lengths_and_negative_sizes()
    {
        var valid = MerkleTestTree.WithLeaves(5).Frontier.Serialize();
        var negative = (byte[])valid.Clone();
        negative[0] = 0x80;

        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize([]));
        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize(valid.AsSpan(0, 7)));
        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize(valid.AsSpan(0, valid.Length - 1)));
        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize([.. valid, 0]));
        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize([.. valid.AsSpan(0, 8), .. valid.AsSpan(40)]));
        Assert.Throws<FormatException>(() => MerkleFrontier.Deserialize(negative));
    }

    [Fact]
    public void Clone_is_independent_of_the_original()
    {
        var original = MerkleTestTree.WithLeaves(10).Frontier;
        var rootBefore = original.Root();

        var clone = original.Clone();
        clone.Append(MerkleHash.Leaf([42]));

        Assert.Equal(10, original.Size);
        Assert.Equal(rootBefore, original.Root());
        Assert.Equal(11, clone.Size);
        Assert.NotEqual(rootBefore, clone.Root());
    }

    [Theory]
    [InlineData(0, 300)]
    [InlineData(256, 4096)]
    [InlineData(300, 700)]
    [InlineData(1, 2)]
    public void Appending_aligned_subtrees_builds_the_same_tree_and_reports_the_nodes_above_them(int start, int end)
    {
        var tree = MerkleTestTree.WithLeaves(end);
        var leaves = Enumerable.Range(0, end).Select(i => tree.LeafHash(i)).ToArray();
        var oneByOne = new MerkleFrontier();
        var bySubtree = new MerkleFrontier();
        var reportedOneByOne = new List<(int Level, long Index, byte[] Hash)>();
        var reportedBySubtree = new List<(int Level, long Index, byte[] Hash)>();
        for (var i = 0; i < start; i++)
        {
            oneByOne.Append(leaves[i]);
            bySubtree.Append(leaves[i]);
        }

        for (var i = start; i < end; i++)
        {
            oneByOne.Append(leaves[i], (level, index, hash) => reportedOneByOne.Add((level, index, hash)));
        }

        // The largest aligned subtree at each step, as the verifier cuts a block.
        var subtrees = new List<(long Start, long End)>();
        for (long at = start; at < end;)
        {
            var level = Math.Min(at == 0 ? 62 : BitOperations.TrailingZeroCount(at), 63 - BitOperations.LeadingZeroCount((ulong)(end - at)));
            bySubtree.AppendSubtree(level, MerkleTestTree.NaiveRoot(leaves, at, at + (1L << level)), (l, index, hash) => reportedBySubtree.Add((l, index, hash)));
            subtrees.Add((at, at + (1L << level)));
            at += 1L << level;
        }

        Assert.Equal(oneByOne.Size, bySubtree.Size);
        Assert.Equal(oneByOne.Root(), bySubtree.Root());
        Assert.Equal(oneByOne.Serialize(), bySubtree.Serialize());
        // A subtree's own nodes are the caller's (it hashed them); every node above the subtrees is reported once, as one by one reports it.
        var above = reportedOneByOne.Where(r => !subtrees.Any(t => t.Start <= r.Index << r.Level && (r.Index + 1) << r.Level <= t.End));
        Assert.Equal(above.Select(r => (r.Level, r.Index, Convert.ToHexString(r.Hash))), reportedBySubtree.Select(r => (r.Level, r.Index, Convert.ToHexString(r.Hash))));
        Assert.True(subtrees.Count < end - start || end - start == 1, "the leaves were appended in subtrees, not one by one");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Hashing_a_perfect_subtree_level_by_level_in_place_gives_its_root(int level)
    {
        var tree = MerkleTestTree.WithLeaves(1 << level);
        var leaves = Enumerable.Range(0, 1 << level).Select(i => tree.LeafHash(i)).ToArray();
        var hashes = leaves.SelectMany(h => h).ToArray();
        for (var l = 1; l <= level; l++)
        {
            MerkleHash.HashLevelUp(hashes, 1 << (level - l));
        }

        Assert.Equal(MerkleTestTree.NaiveRoot(leaves, 0, 1 << level), hashes[..32]);
    }

    [Fact]
    public void A_subtree_must_start_at_a_multiple_of_its_size()
    {
        var frontier = new MerkleFrontier();
        frontier.Append(MerkleHash.Leaf([1]));
        Assert.Throws<InvalidOperationException>(() => frontier.AppendSubtree(1, new byte[32]));
        frontier.AppendSubtree(0, new byte[32]);
        frontier.AppendSubtree(1, new byte[32]);
        Assert.Equal(4, frontier.Size);
    }

    [Fact]
    public void Hashes_written_into_buffers_are_the_hashes_returned_and_sha256_of_the_prefixed_input()
    {
        // On Debian (CI) OpenSSL's SHA-256 is called directly; the results are the same either way.
        Assert.Equal(OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), Sha256.IsNative);
        Span<byte> hash = stackalloc byte[32];
        foreach (var input in MerkleTestTree.VectorLeafInputs.Append(new byte[10_000]))
        {
            MerkleHash.Leaf(input, hash);
            Assert.Equal(MerkleHash.Leaf(input), hash.ToArray());
            Assert.Equal(System.Security.Cryptography.SHA256.HashData([0x00, .. input]), hash.ToArray());
        }

        var left = MerkleHash.Leaf([1]);
        var right = MerkleHash.Leaf([2]);
        MerkleHash.Node(left, right, hash);
        Assert.Equal(MerkleHash.Node(left, right), hash.ToArray());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData([0x01, .. left, .. right]), hash.ToArray());
        // The result may overwrite a child.
        MerkleHash.Node(left, right, left);
        Assert.Equal(hash.ToArray(), left);
    }

    [Fact]
    public void Append_rejects_a_leaf_hash_that_is_not_32_bytes() =>
        Assert.Throws<ArgumentException>(() => new MerkleFrontier().Append(new byte[31]));
}
