using Witness.Integrity;
using Xunit;

namespace Witness.Tests.Integrity;

public sealed class MerkleHashTests
{
    [Fact]
    public void Empty_tree_root_is_sha256_of_nothing() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleHash.Empty));

    [Fact]
    public void Leaf_hash_of_empty_input_matches_rfc6962_vector() =>
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(MerkleHash.Leaf([])));

    [Fact]
    public void Node_hash_of_first_two_leaves_matches_rfc6962_vector()
    {
        var node = MerkleHash.Node(MerkleHash.Leaf([]), MerkleHash.Leaf([0x00]));

        Assert.Equal("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", Convert.ToHexStringLower(node));
    }

    [Fact]
    public void Changing_the_returned_empty_root_does_not_change_the_next_one()
    {
        MerkleHash.Empty[0] ^= 0xff;

        Assert.Equal(0xe3, MerkleHash.Empty[0]);
    }

    [Fact]
    public void Node_rejects_children_that_are_not_hashes() =>
        Assert.Throws<ArgumentException>(() => MerkleHash.Node(new byte[31], new byte[32]));
}
