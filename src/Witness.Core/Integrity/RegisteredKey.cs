using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Witness.Integrity;

/// <summary>
/// A checkpoint signing key as the store registers it: the keys form one sequence for the whole store (every
/// tenant's checkpoints are signed by the current one), numbered from 1 by <see cref="Position"/>. A key signs
/// from <see cref="ValidFrom"/> until <see cref="ValidUntil"/>, when the next one became current; the current
/// key has no end. <see cref="Endorsement"/> is the successor's signature over <see cref="Statement"/>: the key
/// that replaced this one vouches for it, so that a key slipped into the registry by someone who can write the
/// database is not trusted (<see cref="CheckpointKeys"/>).
/// </summary>
/// <param name="Position">1 for the store's first key, then one more per rotation.</param>
/// <param name="KeyId">The C2SP key ID (<see cref="CheckpointSigner.KeyId"/>) as 8 lower-case hex digits, as signature lines carry it.</param>
/// <param name="PublicKeyPem">The SubjectPublicKeyInfo PEM, as <c>GET /v1/public-key</c> serves it.</param>
/// <param name="ValidFrom">When the key became current.</param>
/// <param name="ValidUntil">When the next key became current; null for the current key.</param>
/// <param name="Endorsement">Base64 ECDSA signature by the next key over <see cref="Statement"/>; null for the current key.</param>
public sealed record RegisteredKey(int Position, string KeyId, string PublicKeyPem, DateTimeOffset ValidFrom, DateTimeOffset? ValidUntil, string? Endorsement)
{
    /// <summary>The registration of <paramref name="key"/> at <paramref name="position"/>, current from <paramref name="from"/>.</summary>
    public static RegisteredKey Of(ECDsa key, int position, DateTimeOffset from)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new RegisteredKey(position, FormatKeyId(CheckpointSigner.KeyId(key)), key.ExportSubjectPublicKeyInfoPem(), from, null, null);
    }

    /// <summary>A key ID as the registry and messages write it: 8 lower-case hex digits.</summary>
    public static string FormatKeyId(uint keyId) => keyId.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>
    /// The text a successor signs to vouch for this key: its position, key ID and public key. Its first line keeps
    /// it from ever being taken for a checkpoint note or an export trailer, which the same keys sign.
    /// </summary>
    public byte[] Statement()
    {
        using var key = SigningKey.ImportPublicKeyPem(PublicKeyPem);
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"witness-signing-key/v1\n{Position}\n{KeyId}\n{Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())}\n"));
    }

    /// <summary>This key, retired at <paramref name="until"/>, with <paramref name="successor"/>'s signature over its statement.</summary>
    public RegisteredKey EndorsedBy(ECDsa successor, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(successor);
        var signature = successor.SignData(Statement(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return this with { ValidUntil = until, Endorsement = Convert.ToBase64String(signature) };
    }

    /// <summary>True when <see cref="Endorsement"/> is <paramref name="successor"/>'s signature over this key's statement.</summary>
    public bool IsEndorsedBy(ECDsa successor)
    {
        ArgumentNullException.ThrowIfNull(successor);
        if (Endorsement is null || !NoteEncoding.TryDecodeBase64(Endorsement, out var signature))
        {
            return false;
        }

        try
        {
            return successor.VerifyData(Statement(), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }
}
