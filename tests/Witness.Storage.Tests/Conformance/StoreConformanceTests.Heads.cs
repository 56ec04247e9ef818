using Witness.Checkpoints;
using Witness.Integrity;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task The_heads_log_appends_each_tenant_checkpoint_once_and_proves_it_in_its_latest_signed_checkpoint()
    {
        await using var store = await OpenOwnStoreAsync();
        using var key = NewSigningKey();
        key.WithEd25519(Ed25519NoteKey.Generate("witness"));
        var heads = new HeadsLog((IHeadsLogStore)store, key, TimeProvider.System);
        var checkpoints = Enumerable.Range(1, 300)
            .Select(i => new Checkpoint($"witness/t{i % 7}", i, System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))))
            .ToList();

        // Two instances appending at once: every checkpoint lands once, at one index each.
        var indexes = await Task.WhenAll(checkpoints.Select(c => heads.AppendAsync(c, CancellationToken.None)));
        var again = await heads.AppendAsync(checkpoints[10], CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), indexes.Order());
        Assert.Equal(indexes[10], again);

        var latest = await ((IHeadsLogStore)store).LatestHeadsCheckpointAsync(CancellationToken.None);
        Assert.NotNull(latest);
        Assert.Equal(300, latest.Size);
        Assert.True(CheckpointSigner.TryVerify(latest.Note, "witness", key.Key, out var note));
        Assert.Equal("witness/~heads", note!.Origin);
        Assert.True(NoteVerifierKey.Parse(key.Ed25519!.VerifierKey).VerifiesNote(latest.Note));

        foreach (var i in new[] { 0, 10, 255, 256, 299 })
        {
            var inclusion = await heads.ProveAsync(checkpoints[i], CancellationToken.None);
            Assert.Equal(indexes[i], inclusion.Index);
            Assert.Equal(300, inclusion.Checkpoint.Size);
            Assert.True(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(HeadsLog.EntryOf(checkpoints[i])), inclusion.Index, 300, inclusion.Proof, latest.RootHash));
        }

        var entries = await ((IHeadsLogStore)store).ReadHeadEntriesAsync(298, 5, CancellationToken.None);
        Assert.Equal(2, entries.Count);

        // Cosignatures are kept with their checkpoint; the latest with enough witnesses is found.
        await ((IHeadsLogStore)store).SaveHeadsCosignaturesAsync(300, latest.Note + "\u2014 w1 AAAA\n", 1, Submit.Now, CancellationToken.None);
        Assert.Null(await ((IHeadsLogStore)store).LatestCosignedHeadsAsync(2, CancellationToken.None));
        var cosigned = await ((IHeadsLogStore)store).LatestCosignedHeadsAsync(1, CancellationToken.None);
        Assert.Equal(300, cosigned!.Size);
        Assert.EndsWith("\u2014 w1 AAAA\n", cosigned.Note);
    }
}
