using System.Security.Cryptography;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Verification;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    private static SigningKey NewSigningKey() => SigningKey.FromPem(NewPrivateKeyPem(), "witness");

    private static string NewPrivateKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    [Fact]
    public async Task The_first_key_registered_stays_the_only_one_until_a_rotation_makes_the_next_current()
    {
        await using var store = await OpenOwnStoreAsync();
        var keys = (ISigningKeyStore)store;
        using var first = NewSigningKey();
        using var other = NewSigningKey();
        using var next = NewSigningKey();
        Assert.Empty(await keys.ListSigningKeysAsync(CancellationToken.None));

        var registered = await keys.RegisterFirstSigningKeyAsync(RegisteredKey.Of(first.Key, 1, Submit.Now), CancellationToken.None);
        // Another instance that starts at the same time finds the first one's key, not its own.
        var raced = await keys.RegisterFirstSigningKeyAsync(RegisteredKey.Of(other.Key, 1, Submit.Now), CancellationToken.None);

        var only = Assert.Single(registered);
        Assert.Equal(RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(first.Key)), only.KeyId);
        Assert.Equal(first.PublicKeyPem, only.PublicKeyPem);
        Assert.Null(only.ValidUntil);
        Assert.Equal(only, Assert.Single(raced));

        var later = Submit.Now.AddHours(1);
        var retired = only.EndorsedBy(next.Key, later);
        Assert.True(await keys.RotateSigningKeyAsync(retired, RegisteredKey.Of(next.Key, 2, later), CancellationToken.None));
        // A second rotation from the same (now retired) key changes nothing.
        Assert.False(await keys.RotateSigningKeyAsync(retired, RegisteredKey.Of(other.Key, 2, later), CancellationToken.None));

        var list = await keys.ListSigningKeysAsync(CancellationToken.None);
        Assert.Equal([1, 2], list.Select(k => k.Position));
        Assert.Equal(later, list[0].ValidUntil);
        Assert.True(list[0].IsEndorsedBy(next.Key));
        Assert.Equal(RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(next.Key)), list[1].KeyId);
        Assert.Null(list[1].ValidUntil);
        Assert.Equal(later, list[1].ValidFrom);
    }

    [Fact]
    public async Task A_checkpoint_signed_by_a_key_retired_before_it_is_saved_is_not_saved()
    {
        await using var store = await OpenOwnStoreAsync();
        var keys = (ISigningKeyStore)store;
        using var old = NewSigningKey();
        using var current = NewSigningKey();
        var tenant = Submit.Tenant();
        await SigningKeyRegistry.EnsureCurrentAsync(store, old, TimeProvider.System, CancellationToken.None);
        await store.AppendManyAsync(tenant, 10);
        var frontier = (await store.GetFrontierAsync(tenant, CancellationToken.None))!;
        var checkpoint = new Checkpoint($"{old.KeyName}/{tenant}", frontier.Size, frontier.Root());
        var signed = new StoredCheckpoint(checkpoint.Size, checkpoint.RootHash, CheckpointSigner.Sign(checkpoint, old.KeyName, old.Key), Submit.Now);

        // Signed while the old key was current, saved after the rotation: the save's own check refuses it.
        await SigningKeyRegistry.RotateAsync(store, old, current.Key, TimeProvider.System, CancellationToken.None);
        Assert.False(await keys.SaveCheckpointSignedByAsync(tenant, signed, RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(old.Key)), CancellationToken.None));
        Assert.Null(await store.LatestCheckpointAsync(tenant, CancellationToken.None));

        var resigned = signed with { Note = CheckpointSigner.Sign(checkpoint, current.KeyName, current.Key) };
        Assert.True(await keys.SaveCheckpointSignedByAsync(tenant, resigned, RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(current.Key)), CancellationToken.None));
        Assert.Equal(10, (await store.LatestCheckpointAsync(tenant, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Rotations_while_a_writer_keeps_signing_leave_every_checkpoint_under_the_key_current_at_its_size()
    {
        await using var store = await OpenOwnStoreAsync();
        var tenant = Submit.Tenant();
        SigningKey[] chain = [NewSigningKey(), NewSigningKey(), NewSigningKey(), NewSigningKey()];
        try
        {
            await SigningKeyRegistry.EnsureCurrentAsync(store, chain[0], TimeProvider.System, CancellationToken.None);
            var holder = 0; // the key the writer signs with: it moves on only when it is refused, as a restarted instance would
            var rotated = 0;
            var signedBy = -1;
            using var done = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    await store.AppendManyAsync(tenant, 3);
                    var key = Volatile.Read(ref holder);
                    try
                    {
                        await new CheckpointIssuer(store, chain[key], TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
                        Volatile.Write(ref signedBy, key);
                    }
                    catch (SigningKeyRefusedException)
                    {
                        Volatile.Write(ref holder, Volatile.Read(ref rotated));
                    }
                }
            });

            for (var i = 1; i < chain.Length; i++)
            {
                // Each key signs at least once before the next rotation, while the writer keeps signing.
                for (var waited = 0; Volatile.Read(ref signedBy) != i - 1 && waited < 600 && !writer.IsCompleted; waited++)
                {
                    await Task.Delay(50);
                }

                await SigningKeyRegistry.RotateAsync(store, chain[i - 1], chain[i].Key, TimeProvider.System, CancellationToken.None);
                Volatile.Write(ref rotated, i);
            }

            for (var waited = 0; Volatile.Read(ref signedBy) != chain.Length - 1 && waited < 600 && !writer.IsCompleted; waited++)
            {
                await Task.Delay(50);
            }

            await done.CancelAsync();
            await writer;
            await new CheckpointIssuer(store, chain[^1], TimeProvider.System).IssueAsync(tenant, CancellationToken.None);

            using var trusted = await SigningKeyRegistry.TrustedKeysAsync(store, chain[^1].Key, CancellationToken.None);
            var result = await new ChainVerifier(store, trusted, chain[^1].KeyName).VerifyAsync(tenant, CancellationToken.None);
            Assert.True(result.Ok, result.Problem);
            Assert.True(result.CheckpointsChecked >= chain.Length, $"{result.CheckpointsChecked} checkpoints");

            // Each checkpoint names the key that was current when it was saved: the keys only move on along the log.
            var registry = await ((ISigningKeyStore)store).ListSigningKeysAsync(CancellationToken.None);
            var positions = new List<int>();
            await foreach (var checkpoint in store.ReadCheckpointsAsync(tenant, CancellationToken.None))
            {
                var signer = RegisteredKey.FormatKeyId(Assert.Single(CheckpointSigner.SignerKeyIds(checkpoint.Note)));
                positions.Add(registry.Single(k => k.KeyId == signer).Position);
            }

            Assert.Equal(positions.Order(), positions);
            Assert.Equal(chain.Length, positions.Distinct().Count());
        }
        finally
        {
            foreach (var key in chain)
            {
                key.Dispose();
            }
        }
    }

    [Fact]
    public async Task Checkpoints_signed_before_and_after_a_rotation_verify_each_under_the_key_of_its_time()
    {
        await using var store = await OpenOwnStoreAsync();
        using var old = NewSigningKey();
        using var current = NewSigningKey();
        var tenant = Submit.Tenant();
        await SigningKeyRegistry.EnsureCurrentAsync(store, old, TimeProvider.System, CancellationToken.None);
        await store.AppendManyAsync(tenant, 40);
        await new CheckpointIssuer(store, old, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);

        await SigningKeyRegistry.RotateAsync(store, old, current.Key, TimeProvider.System, CancellationToken.None);
        await store.AppendManyAsync(tenant, 20);
        // An instance still holding the retired key signs nothing more.
        await Assert.ThrowsAsync<SigningKeyRefusedException>(() => new CheckpointIssuer(store, old, TimeProvider.System).IssueAsync(tenant, CancellationToken.None));
        var signed = await new CheckpointIssuer(store, current, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        Assert.Equal(60, signed!.Size);

        using var trusted = await SigningKeyRegistry.TrustedKeysAsync(store, current.Key, CancellationToken.None);
        var result = await new ChainVerifier(store, trusted, current.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(2, result.CheckpointsChecked);

        // The current key alone, without the registry that vouches for the old one, names the old key.
        var alone = await new ChainVerifier(store, current.Key, current.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.False(alone.Ok);
        Assert.Equal(40, alone.CheckpointSize);
        Assert.Contains($"signed by key {RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(old.Key))}", alone.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_the_store_does_not_know_is_refused_naming_the_known_keys_and_the_rotate_command()
    {
        await using var store = await OpenOwnStoreAsync();
        using var registered = NewSigningKey();
        using var stranger = NewSigningKey();
        await SigningKeyRegistry.EnsureCurrentAsync(store, registered, TimeProvider.System, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<SigningKeyRefusedException>(() => SigningKeyRegistry.EnsureCurrentAsync(store, stranger, TimeProvider.System, CancellationToken.None));

        Assert.Contains(RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(registered.Key)), refused.Message, StringComparison.Ordinal);
        Assert.Contains(RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(stranger.Key)), refused.Message, StringComparison.Ordinal);
        Assert.Contains("witness signing-key rotate", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public async Task A_store_with_checkpoints_but_no_registered_key_registers_the_key_that_signed_them_and_refuses_another()
    {
        await using var store = await OpenOwnStoreAsync();
        using var signer = NewSigningKey();
        using var stranger = NewSigningKey();
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 10);
        await new CheckpointIssuer(store, signer, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<SigningKeyRefusedException>(() => SigningKeyRegistry.EnsureCurrentAsync(store, stranger, TimeProvider.System, CancellationToken.None));
        Assert.Contains($"the checkpoint of tenant '{tenant}' at size 10 is not signed by this instance's key", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await ((ISigningKeyStore)store).ListSigningKeysAsync(CancellationToken.None));

        var registry = await SigningKeyRegistry.EnsureCurrentAsync(store, signer, TimeProvider.System, CancellationToken.None);
        Assert.Equal(signer.PublicKeyPem, Assert.Single(registry).PublicKeyPem);
    }
}
