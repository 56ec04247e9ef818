using Witness.Integrity;
using Witness.Storage;

namespace Witness.Checkpoints;

/// <summary>
/// Signs checkpoints of tenants' logs: C2SP checkpoint text with origin <c>&lt;server origin&gt;/&lt;tenant&gt;</c>,
/// the committed size and root, signed by the server's key. Issuing is idempotent: a log that has not
/// grown since its latest checkpoint gets that checkpoint back. It signs only with the store's current key
/// (<see cref="SigningKeyRegistry"/>): once the key was rotated, an instance still holding the old one signs nothing.
/// </summary>
public sealed class CheckpointIssuer(IWitnessStore store, SigningKey key, TimeProvider clock)
{
    public SigningKey Key => key;

    /// <summary>Raised after a new checkpoint of a tenant's log was signed and saved.</summary>
    public event Action<string, StoredCheckpoint>? Signed;

    /// <summary>The checkpoint origin of a tenant's log.</summary>
    public string OriginOf(string tenant) => LogOrigins.Tenant(key.KeyName, tenant);

    /// <summary>
    /// The latest checkpoint of the tenant's log, signing a new one first when the log has grown
    /// since. Null when the tenant has no events.
    /// </summary>
    public async Task<StoredCheckpoint?> IssueAsync(string tenant, CancellationToken ct)
    {
        var frontier = await store.GetFrontierAsync(tenant, ct);
        if (frontier is null || frontier.Size == 0)
        {
            return null;
        }

        var latest = await store.LatestCheckpointAsync(tenant, ct);
        if (latest is not null && latest.Size >= frontier.Size)
        {
            return latest;
        }

        await EnsureCurrentKeyAsync(ct);
        var checkpoint = new Checkpoint(OriginOf(tenant), frontier.Size, frontier.Root());
        var stored = new StoredCheckpoint(checkpoint.Size, checkpoint.RootHash, key.SignNote(checkpoint), WholeMilliseconds(clock.GetUtcNow()));
        await SaveAsync(tenant, stored, ct);
        Signed?.Invoke(tenant, stored);
        return stored;
    }

    /// <summary>
    /// A checkpoint's time as the stores keep it (whole milliseconds): the checkpoint an answer has just
    /// issued then shows the same time as the one read back from the store later.
    /// </summary>
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>Saves the checkpoint in one transaction with the check that this instance's key is still current, so that a rotation cannot slip between the check and the save.</summary>
    private async Task SaveAsync(string tenant, StoredCheckpoint checkpoint, CancellationToken ct)
    {
        if (store is not ISigningKeyStore keys)
        {
            await store.SaveCheckpointAsync(tenant, checkpoint, ct);
            return;
        }

        if (!await keys.SaveCheckpointSignedByAsync(tenant, checkpoint, RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key)), ct))
        {
            // Rotated while this one was being signed: the message names the key that is now current.
            await EnsureCurrentKeyAsync(ct);
            throw new SigningKeyRefusedException($"this instance's signing key {RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key))} was retired while it signed a checkpoint, so the checkpoint was not saved");
        }
    }

    /// <summary>Refuses to sign with a key the store retired (a rotation while this instance ran) or does not know.</summary>
    private async Task EnsureCurrentKeyAsync(CancellationToken ct)
    {
        if (store is not ISigningKeyStore keys || await keys.ListSigningKeysAsync(ct) is not { Count: > 0 } registry)
        {
            return;
        }

        var id = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key));
        if (registry[^1].KeyId != id)
        {
            throw new SigningKeyRefusedException(
                $"this instance's signing key {id} is not the store's current key ({registry[^1].KeyId}), so it signs no checkpoint: restart it with the current key file");
        }
    }
}
