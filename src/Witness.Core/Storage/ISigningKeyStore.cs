using Witness.Integrity;

namespace Witness.Storage;

/// <summary>
/// The store's registry of checkpoint signing keys (<see cref="RegisteredKey"/>): one sequence for the whole
/// store, the last one current. Both writes are atomic, so instances that start at once, or a rotation racing
/// another, never leave two current keys.
/// </summary>
public interface ISigningKeyStore
{
    /// <summary>Every registered key, oldest (position 1) first; empty before the first start that registers one.</summary>
    Task<IReadOnlyList<RegisteredKey>> ListSigningKeysAsync(CancellationToken ct);

    /// <summary>
    /// Registers <paramref name="key"/> (position 1) when the registry is empty, and returns the registry as it
    /// then is: with another key already registered (another instance was first), that one, unchanged.
    /// </summary>
    Task<IReadOnlyList<RegisteredKey>> RegisterFirstSigningKeyAsync(RegisteredKey key, CancellationToken ct);

    /// <summary>
    /// Makes <paramref name="next"/> current: retires <paramref name="retired"/> (the current key, with its end
    /// and endorsement filled in) and adds <paramref name="next"/> right after it, in one transaction. False, and
    /// nothing changed, when <paramref name="retired"/> is no longer the current key.
    /// </summary>
    Task<bool> RotateSigningKeyAsync(RegisteredKey retired, RegisteredKey next, CancellationToken ct);

    /// <summary>
    /// Saves a checkpoint as <see cref="IWitnessStore.SaveCheckpointAsync"/> does, in one transaction with the check
    /// that <paramref name="keyId"/> (its signer) is the current key, or that the store has registered none. A
    /// rotation committed first makes it save nothing and return false; a rotation begun after it waits for it.
    /// So no checkpoint signed by a retired key is stored after the rotation that retired it.
    /// </summary>
    Task<bool> SaveCheckpointSignedByAsync(string tenant, StoredCheckpoint checkpoint, string keyId, CancellationToken ct);
}
