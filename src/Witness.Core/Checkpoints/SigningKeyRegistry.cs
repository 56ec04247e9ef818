using System.Security.Cryptography;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Checkpoints;

/// <summary>
/// Keeps the store's registry of signing keys (<see cref="ISigningKeyStore"/>) and an instance's key in step:
/// the first start of a store registers its key; a key the store does not know (or one it retired) is refused
/// with a message naming the keys it knows and the rotate command; <see cref="RotateAsync"/> makes a new key current.
/// </summary>
public static class SigningKeyRegistry
{
    /// <summary>The command that makes a new key current, as refusals name it.</summary>
    public const string RotateCommand = "witness signing-key rotate";

    /// <summary>
    /// Checks that <paramref name="key"/> is the store's current key, registering it when the registry is empty.
    /// A store created before keys were registered, whose checkpoints this key signed, registers it too; when its
    /// latest checkpoints do not verify with it, the store is refused rather than given a key that did not sign them.
    /// Returns the registry.
    /// </summary>
    /// <exception cref="SigningKeyRefusedException">The key is not the store's current key; the message is one line.</exception>
    public static async Task<IReadOnlyList<RegisteredKey>> EnsureCurrentAsync(IWitnessStore store, SigningKey key, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        var keys = store as ISigningKeyStore ?? throw new InvalidOperationException($"the {store.Kind} store keeps no signing keys");
        var registry = await keys.ListSigningKeysAsync(ct);
        if (registry.Count == 0)
        {
            await EnsureSignedStoredCheckpointsAsync(store, key, ct);
            registry = await keys.RegisterFirstSigningKeyAsync(RegisteredKey.Of(key.Key, 1, clock.GetUtcNow()), ct);
        }

        var id = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key));
        var current = registry[^1];
        if (current.KeyId == id)
        {
            return registry;
        }

        var known = string.Join(", ", registry.Select(k => k.KeyId + (k.ValidUntil is null ? " (current)" : "")));
        throw new SigningKeyRefusedException(registry.Any(k => k.KeyId == id)
            ? $"this instance's signing key {id} was retired (key {current.KeyId} replaced it); the store's keys are {known}: start every instance with the current key file"
            : $"this instance's signing key {id} is not registered in the store, whose keys are {known}: start it with the store's current key file, or make this key current with `{RotateCommand} --new-key FILE` (all instances must share one key file)");
    }

    /// <summary>
    /// Registers <paramref name="next"/> as the store's current key after <paramref name="current"/>, which must be
    /// current (registering it first when the registry is empty): <paramref name="next"/> endorses it, so that
    /// verification trusts the old key through the new one. Returns the new registration.
    /// </summary>
    /// <exception cref="SigningKeyRefusedException"><paramref name="current"/> is not the store's current key, or <paramref name="next"/> is already registered.</exception>
    public static async Task<RegisteredKey> RotateAsync(IWitnessStore store, SigningKey current, ECDsa next, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(next);
        var registry = await EnsureCurrentAsync(store, current, clock, ct);
        var nextId = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(next));
        if (registry.Any(k => k.KeyId == nextId))
        {
            throw new SigningKeyRefusedException($"the new key {nextId} is already registered in the store: give a key that has never signed here");
        }

        var now = clock.GetUtcNow();
        var retired = registry[^1].EndorsedBy(next, now);
        var added = RegisteredKey.Of(next, retired.Position + 1, now);
        if (!await ((ISigningKeyStore)store).RotateSigningKeyAsync(retired, added, ct))
        {
            throw new SigningKeyRefusedException($"key {retired.KeyId} stopped being the store's current key during the rotation (another rotation ran): nothing was changed");
        }

        return added;
    }

    /// <summary>The keys a verification anchored on <paramref name="anchor"/> trusts: it, and the registered keys it vouches for.</summary>
    public static async Task<CheckpointKeys> TrustedKeysAsync(IWitnessStore store, ECDsa anchor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store is ISigningKeyStore keys
            ? CheckpointKeys.Trusting(anchor, await keys.ListSigningKeysAsync(ct))
            : CheckpointKeys.Single(anchor);
    }

    private static async Task EnsureSignedStoredCheckpointsAsync(IWitnessStore store, SigningKey key, CancellationToken ct)
    {
        foreach (var tenant in await store.ListTenantsAsync(ct))
        {
            if (await store.LatestCheckpointAsync(tenant, ct) is { } latest
                && !CheckpointSigner.TryVerify(latest.Note, key.KeyName, key.Key, out _))
            {
                var claimed = CheckpointSigner.SignerKeyIds(latest.Note) is [var first, ..] ? $" (it names key {RegisteredKey.FormatKeyId(first)})" : "";
                throw new SigningKeyRefusedException(
                    $"this store has no registered signing key yet, and the checkpoint of tenant '{tenant}' at size {latest.Size} is not signed by this instance's key {RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key))}{claimed}: start it with the key that signed the store's checkpoints");
            }
        }
    }
}

/// <summary>An instance's signing key does not fit the store's registry; the message says what to do, in one line.</summary>
public sealed class SigningKeyRefusedException(string message) : InvalidOperationException(message);
