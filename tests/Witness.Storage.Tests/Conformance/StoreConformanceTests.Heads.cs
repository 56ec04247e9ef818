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

        // Every appender at once (instances, proof requests): every checkpoint lands once, at one index each.
        var indexes = await Task.WhenAll(checkpoints.Select(c => Task.Run(() => heads.AppendAsync(c, CancellationToken.None))));
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
        var store2 = (IHeadsLogStore)store;
        await store2.SaveHeadsCosignatureAsync("w1+00000001+AA", 300, "\u2014 w1 AAAA\n", Submit.Now, CancellationToken.None);
        Assert.Null(await store2.LatestCosignedHeadsAsync(2, CancellationToken.None));
        var cosigned = await store2.LatestCosignedHeadsAsync(1, CancellationToken.None);
        Assert.Equal(300, cosigned!.Size);
        Assert.Equal(latest.Note + "\u2014 w1 AAAA\n", cosigned.Note);
    }

    [Fact]
    public async Task Cosignatures_of_one_heads_checkpoint_from_several_witnesses_add_up_and_each_witness_state_is_kept()
    {
        await using var store = await OpenOwnStoreAsync();
        using var key = NewSigningKey();
        key.WithEd25519(Ed25519NoteKey.Generate("witness"));
        var heads = new HeadsLog((IHeadsLogStore)store, key, TimeProvider.System);
        var log = (IHeadsLogStore)store;
        for (var i = 1; i <= 3; i++)
        {
            await heads.AppendAsync(new Checkpoint("witness/t", i, System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))), CancellationToken.None);
        }

        var second = await log.FirstHeadsCheckpointAfterAsync(1, CancellationToken.None);
        Assert.Equal(2, second!.Size);
        Assert.Null(await log.FirstHeadsCheckpointAfterAsync(3, CancellationToken.None));
        Assert.Empty(await log.ListHeadsWitnessesAsync(CancellationToken.None));

        // Two instances cosigning size 3, each with another witness, and one of them twice with the same witness.
        var at = Submit.Now;
        await Task.WhenAll(
            log.SaveHeadsCosignatureAsync("w2+00000002+BB", 3, "\u2014 w2 BBBB\n", at, CancellationToken.None),
            log.SaveHeadsCosignatureAsync("w1+00000001+AA", 3, "\u2014 w1 AAAA\n", at, CancellationToken.None));
        await log.SaveHeadsCosignatureAsync("w1+00000001+AA", 3, "\u2014 w1 AAA2\n", at.AddSeconds(1), CancellationToken.None);
        var latest = await log.LatestHeadsCheckpointAsync(CancellationToken.None);
        var cosigned = await log.LatestCosignedHeadsAsync(2, CancellationToken.None);
        Assert.Equal(3, cosigned!.Size);
        Assert.Equal(2, cosigned.Witnesses);
        Assert.Equal(latest!.Note + "\u2014 w1 AAA2\n\u2014 w2 BBBB\n", cosigned.Note);
        Assert.Equal(at.AddSeconds(1).ToUnixTimeMilliseconds(), cosigned.At.ToUnixTimeMilliseconds());

        // A witness that later refuses keeps its cosigned size; a late save of an older size does not move it back.
        await log.SaveHeadsWitnessProblemAsync("w2+00000002+BB", 9, "refused (422): the log forked", refused: true, at.AddSeconds(2), CancellationToken.None);
        await log.SaveHeadsCosignatureAsync("w1+00000001+AA", 2, "\u2014 w1 CCCC\n", at.AddSeconds(3), CancellationToken.None);
        var witnesses = await log.ListHeadsWitnessesAsync(CancellationToken.None);
        Assert.Equal(["w1+00000001+AA", "w2+00000002+BB"], witnesses.Select(w => w.Witness));
        var (w1, w2) = (witnesses[0], witnesses[1]);
        Assert.Equal((2L, 3L, false, null), (w1.KnownSize, w1.CosignedSize, w1.Refused, w1.Problem));
        Assert.Equal(at.AddSeconds(1).ToUnixTimeMilliseconds(), w1.CosignedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal((9L, 3L, true, "refused (422): the log forked"), (w2.KnownSize, w2.CosignedSize, w2.Refused, w2.Problem));
        Assert.Equal(at.AddSeconds(2).ToUnixTimeMilliseconds(), w2.UpdatedAt.ToUnixTimeMilliseconds());

        // Cosigning again clears the problem.
        await log.SaveHeadsCosignatureAsync("w2+00000002+BB", 3, "\u2014 w2 BBBB\n", at.AddSeconds(4), CancellationToken.None);
        w2 = (await log.ListHeadsWitnessesAsync(CancellationToken.None))[1];
        Assert.Equal((3L, false, null), (w2.KnownSize, w2.Refused, w2.Problem));
    }
}
