using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// The public keys a verification trusts to have signed checkpoints, each with its place in the store's key
/// sequence (<see cref="RegisteredKey.Position"/>). The anchor is the key the verifier holds (the server's own
/// key, or one given on the command line); an older registered key is trusted only when the key that replaced
/// it endorsed it (<see cref="RegisteredKey.IsEndorsedBy"/>), link by link down from the anchor, so a key
/// written into the registry by someone who can write the database is not trusted. Owns the keys it imported.
/// </summary>
public sealed class CheckpointKeys : IDisposable
{
    private readonly List<(uint Id, ECDsa Key, int Position)> _keys;
    private readonly List<ECDsa> _owned;

    private CheckpointKeys(List<(uint, ECDsa, int)> keys, List<ECDsa> owned)
    {
        _keys = keys;
        _owned = owned;
    }

    /// <summary>Trusts <paramref name="key"/> alone (not owned): a store whose registry is empty, or a test.</summary>
    public static CheckpointKeys Single(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new CheckpointKeys([(CheckpointSigner.KeyId(key), key, 0)], []);
    }

    /// <summary>
    /// Trusts <paramref name="anchor"/> (not owned) and every registered key older than it that the chain of
    /// endorsements from it vouches for. A registry that does not hold the anchor trusts the anchor alone.
    /// </summary>
    public static CheckpointKeys Trusting(ECDsa anchor, IReadOnlyList<RegisteredKey> registry)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(registry);
        var anchorId = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(anchor));
        var ordered = registry.OrderBy(k => k.Position).ToList();
        var at = ordered.FindIndex(k => k.KeyId == anchorId);
        if (at < 0)
        {
            return Single(anchor);
        }

        var keys = new List<(uint, ECDsa, int)> { (CheckpointSigner.KeyId(anchor), anchor, ordered[at].Position) };
        var owned = new List<ECDsa>();
        var successor = anchor;
        for (var i = at - 1; i >= 0; i--)
        {
            ECDsa key;
            try
            {
                key = SigningKey.ImportPublicKeyPem(ordered[i].PublicKeyPem);
            }
            catch (FormatException)
            {
                break;
            }

            if (!ordered[i].IsEndorsedBy(successor) || RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key)) != ordered[i].KeyId)
            {
                key.Dispose();
                break;
            }

            owned.Add(key);
            keys.Add((CheckpointSigner.KeyId(key), key, ordered[i].Position));
            successor = key;
        }

        return new CheckpointKeys(keys, owned);
    }

    /// <summary>The key IDs trusted, as 8 hex digits, oldest first.</summary>
    public IEnumerable<string> KeyIds => _keys.OrderBy(k => k.Position).Select(k => RegisteredKey.FormatKeyId(k.Id));

    /// <summary>
    /// True, with the checkpoint and the signing key's position, when the note carries a valid signature by one of
    /// the trusted keys under <paramref name="keyName"/> (see <see cref="CheckpointSigner.TryVerify"/>).
    /// </summary>
    public bool TryVerify(string noteText, string keyName, out Checkpoint? checkpoint, out int position)
    {
        foreach (var (_, key, at) in _keys)
        {
            if (CheckpointSigner.TryVerify(noteText, keyName, key, out checkpoint))
            {
                position = at;
                return true;
            }
        }

        (checkpoint, position) = (null, -1);
        return false;
    }

    /// <summary>The position of the trusted key whose ID a note's first signature line names, or null: which key a note claims, without checking the signature.</summary>
    public int? ClaimedPosition(string noteText)
    {
        var ids = CheckpointSigner.SignerKeyIds(noteText);
        foreach (var id in ids)
        {
            foreach (var (trusted, _, position) in _keys)
            {
                if (trusted == id)
                {
                    return position;
                }
            }
        }

        return null;
    }

    /// <summary>Why a note does not verify, for a failure message: the key it claims when that key is not trusted, else that the signature is not valid.</summary>
    public string WhyUnsigned(string noteText)
    {
        var ids = CheckpointSigner.SignerKeyIds(noteText);
        if (ids.Count > 0 && !ids.Any(id => _keys.Any(k => k.Id == id)))
        {
            return $"is signed by key {RegisteredKey.FormatKeyId(ids[0])}, which is not a key this store vouches for (trusted: {string.Join(", ", KeyIds)})";
        }

        return "is not signed by this server's key";
    }

    public void Dispose()
    {
        foreach (var key in _owned)
        {
            key.Dispose();
        }
    }
}
