using Witness.Integrity;
using Witness.Retention;

namespace Witness.Core.Tests.Alerts;

public sealed class RetentionBlocksTests
{
    [Fact]
    public void Only_whole_blocks_of_events_older_than_the_cutoff_are_purged()
    {
        var received = Enumerable.Range(0, 700).Select(i => i < 600 ? 10L : 99L).ToList();
        Assert.Equal(512, RetentionBlocks.PurgeEnd(0, 700, received, cutoffMicros: 50, maxEvents: 1024));
        Assert.Equal(256, RetentionBlocks.PurgeEnd(0, 700, received, cutoffMicros: 50, maxEvents: 300));
        Assert.Equal(0, RetentionBlocks.PurgeEnd(0, 200, received[..200], cutoffMicros: 50, maxEvents: 1024));
        Assert.Equal(0, RetentionBlocks.PurgeEnd(0, 700, received, cutoffMicros: 5, maxEvents: 1024));
    }

    [Fact]
    public void A_purged_block_keeps_its_leaves_only_when_a_checkpoint_ends_inside_it()
    {
        Assert.True(RetentionBlocks.KeepsLeaves(1, [300]));
        Assert.False(RetentionBlocks.KeepsLeaves(1, [256, 512]));
        Assert.False(RetentionBlocks.KeepsLeaves(0, [300]));
    }

    [Fact]
    public void The_prefix_frontier_from_stored_nodes_has_the_root_of_the_purged_leaves()
    {
        var leaves = Enumerable.Range(0, 768).Select(i => MerkleHash.Leaf(BitConverter.GetBytes(i))).ToList();
        var full = new MerkleFrontier();
        var nodes = new Dictionary<(int, long), byte[]>();
        foreach (var leaf in leaves)
        {
            full.Append(leaf, (level, index, hash) => nodes[(level, index)] = hash);
        }

        var prefix = RetentionBlocks.PrefixFrontier(768, (level, index) => nodes.GetValueOrDefault((level, index)));
        Assert.Equal(full.Root(), prefix!.Root());
        Assert.Null(RetentionBlocks.PrefixFrontier(1024, (level, index) => nodes.GetValueOrDefault((level, index))));
    }
}
