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
