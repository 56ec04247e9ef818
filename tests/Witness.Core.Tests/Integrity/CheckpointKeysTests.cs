using System.Security.Cryptography;
using Witness.Integrity;

namespace Witness.Core.Tests.Integrity;

public sealed class CheckpointKeysTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Note(ECDsa key, long size) =>
        CheckpointSigner.Sign(new Checkpoint("witness/acme", size, new byte[32]), "witness", key);

    [Fact]
    public void Older_keys_endorsed_link_by_link_by_their_successors_are_trusted_with_their_positions()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var third = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var registry = new[]
        {
            RegisteredKey.Of(first, 1, Start).EndorsedBy(second, Start.AddDays(1)),
            RegisteredKey.Of(second, 2, Start.AddDays(1)).EndorsedBy(third, Start.AddDays(2)),
            RegisteredKey.Of(third, 3, Start.AddDays(2)),
        };

        using var keys = CheckpointKeys.Trusting(third, registry);

        Assert.Equal(registry.Select(k => k.KeyId), keys.KeyIds);
        Assert.True(keys.TryVerify(Note(first, 5), "witness", out var checkpoint, out var position));
        Assert.Equal((5L, 1), (checkpoint!.Size, position));
        Assert.True(keys.TryVerify(Note(third, 9), "witness", out _, out position));
        Assert.Equal(3, position);
    }

    [Fact]
    public void A_key_written_into_the_registry_without_its_successors_endorsement_is_not_trusted_nor_any_key_before_it()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var forged = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var current = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Someone who can write the database put their own key before the current one and signed it with that key itself.
        var registry = new[]
        {
            RegisteredKey.Of(first, 1, Start).EndorsedBy(forged, Start.AddDays(1)),
            RegisteredKey.Of(forged, 2, Start.AddDays(1)).EndorsedBy(forged, Start.AddDays(2)),
            RegisteredKey.Of(current, 3, Start.AddDays(2)),
        };

        using var keys = CheckpointKeys.Trusting(current, registry);

        Assert.Equal([RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(current))], keys.KeyIds);
        var forgedNote = Note(forged, 7);
        Assert.False(keys.TryVerify(forgedNote, "witness", out _, out _));
        Assert.Contains($"is signed by key {RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(forged))}, which is not a key this store vouches for", keys.WhyUnsigned(forgedNote), StringComparison.Ordinal);
        Assert.False(keys.TryVerify(Note(first, 3), "witness", out _, out _));
    }

    [Fact]
    public void A_note_names_the_key_ids_of_its_signature_lines()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Equal([CheckpointSigner.KeyId(key)], CheckpointSigner.SignerKeyIds(Note(key, 1)));
        Assert.Empty(CheckpointSigner.SignerKeyIds("not a note"));
    }
}
