using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// Signs and verifies checkpoints as C2SP signed notes with an ECDSA P-256 key. The note is the checkpoint
/// body, a blank line, and one line per signature: <c>— &lt;key name&gt; base64(key ID ‖ signature)</c>.
/// </summary>
/// <remarks>
/// The C2SP signed-note spec assigns signature type <c>0x02</c> to "ECDSA signatures as implemented by
/// github.com/transparency-dev/witness" (P-256 recommended), which is what this writes: an ECDSA signature
/// over SHA-256 of the note text, ASN.1 DER encoded, and a key ID that is the first four bytes, big-endian,
/// of SHA-256 of the DER SubjectPublicKeyInfo (for this type the spec does not hash in the key name and
/// type byte, unlike Ed25519). Notes made here verify with that implementation, given the verifier key
/// <see cref="VerifierKey"/> returns.
/// </remarks>
public static class CheckpointSigner
{
    /// <summary>The C2SP signed-note signature type of ECDSA (P-256, SHA-256, DER).</summary>
    public const byte SignatureType = 0x02;

    // Far above what a checkpoint ever carries (its own signature and a few witnesses'), and at least the
    // 16 the spec asks verifiers to accept.
    private const int MaxSignatureLines = 100;

    private const string SignaturePrefix = "\u2014 ";
    private const int KeyIdBytes = 4;

    /// <summary>The note text of <paramref name="checkpoint"/> signed by <paramref name="privateKey"/> under <paramref name="keyName"/>.</summary>
    /// <exception cref="ArgumentException">The key name is not a valid C2SP key name (non-empty, no spaces or plus signs), or the key is not a P-256 private key.</exception>
    public static string Sign(Checkpoint checkpoint, string keyName, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!NoteEncoding.IsValidKeyName(keyName))
        {
            throw new ArgumentException("A key name is non-empty and has no spaces, plus signs or control characters.", nameof(keyName));
        }

        EnsureP256(privateKey, nameof(privateKey));
        var body = checkpoint.ToBody();
        var signature = privateKey.SignData(NoteEncoding.Utf8(body), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var blob = new byte[KeyIdBytes + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId(privateKey));
        signature.CopyTo(blob, KeyIdBytes);
        return $"{body}\n{SignaturePrefix}{keyName} {Convert.ToBase64String(blob)}\n";
    }

    /// <summary>
    /// True, with the checkpoint, when <paramref name="noteText"/> is a well-formed signed note whose body is a
    /// checkpoint and which carries a valid signature by <paramref name="publicKey"/> under <paramref name="keyName"/>.
    /// Signatures by other keys are ignored, as the spec asks; a note without a signature from this key, with any
    /// failing signature from it, or malformed in any way gives false. The checkpoint's origin is not compared
    /// with the key name: callers that expect a particular log check <see cref="Checkpoint.Origin"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The public key is not a P-256 key.</exception>
    public static bool TryVerify(string noteText, string keyName, ECDsa publicKey, out Checkpoint? checkpoint)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        EnsureP256(publicKey, nameof(publicKey));
        checkpoint = null;
        if (noteText is null || keyName is null || !NoteEncoding.IsValidText(noteText, allowNewlines: true))
        {
            return false;
        }

        var split = noteText.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var body = noteText[..(split + 1)];
        var signatures = noteText[(split + 2)..];
        if (signatures.Length == 0 || !signatures.EndsWith('\n'))
        {
            return false;
        }

        var lines = signatures[..^1].Split('\n');
        if (lines.Length > MaxSignatureLines)
        {
            return false;
        }

        var keyId = KeyId(publicKey);
        var bodyBytes = NoteEncoding.Utf8(body);
        var verified = false;
        foreach (var line in lines)
        {
            if (!TryParseSignatureLine(line, out var name, out var id, out var signature))
            {
                return false;
            }

            if (name != keyName || id != keyId)
            {
                continue;
            }

            if (!VerifyOrFalse(publicKey, bodyBytes, signature))
            {
                return false;
            }

            verified = true;
        }

        if (!verified)
        {
            return false;
        }

        try
        {
            checkpoint = Checkpoint.ParseBody(body);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// The key IDs of the signature lines of <paramref name="noteText"/>, in order, whoever made them; empty when
    /// the note is malformed. Says which key a note claims to be signed by, to name it; proves nothing.
    /// </summary>
    public static IReadOnlyList<uint> SignerKeyIds(string noteText)
    {
        var split = noteText?.LastIndexOf("\n\n", StringComparison.Ordinal) ?? -1;
        if (split < 0 || !noteText!.EndsWith('\n'))
        {
            return [];
        }

        var ids = new List<uint>();
        foreach (var line in noteText[(split + 2)..^1].Split('\n'))
        {
            if (!TryParseSignatureLine(line, out _, out var id, out _))
            {
                return [];
            }

            ids.Add(id);
        }

        return ids;
    }

    /// <summary>The C2SP key ID of an ECDSA key: the first four bytes, big-endian, of SHA-256 of its DER SubjectPublicKeyInfo.</summary>
    public static uint KeyId(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// The verifier key other note tools take: <c>&lt;key name&gt;+&lt;hex key ID&gt;+base64(0x02 ‖ DER SubjectPublicKeyInfo)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The key name is not a valid C2SP key name, or the key is not a P-256 key.</exception>
    public static string VerifierKey(string keyName, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!NoteEncoding.IsValidKeyName(keyName))
        {
            throw new ArgumentException("A key name is non-empty and has no spaces, plus signs or control characters.", nameof(keyName));
        }

        EnsureP256(key, nameof(key));
        var spki = key.ExportSubjectPublicKeyInfo();
        return $"{keyName}+{KeyId(key):x8}+{Convert.ToBase64String([SignatureType, .. spki])}";
    }

    private static bool TryParseSignatureLine(string line, out string name, out uint keyId, out byte[] signature)
    {
        (name, keyId, signature) = (string.Empty, 0, []);
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = line[SignaturePrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return false;
        }

        name = rest[..space];
        if (!NoteEncoding.IsValidKeyName(name) || !NoteEncoding.TryDecodeBase64(rest[(space + 1)..], out var blob) || blob.Length <= KeyIdBytes)
        {
            return false;
        }

        keyId = BinaryPrimitives.ReadUInt32BigEndian(blob);
        signature = blob[KeyIdBytes..];
        return true;
    }

    private static bool VerifyOrFalse(ECDsa publicKey, byte[] data, byte[] signature)
    {
        try
        {
            return publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value;
    }

    private static void EnsureP256(ECDsa key, string paramName)
    {
        if (!IsP256(key))
        {
            throw new ArgumentException("Checkpoints are signed with ECDSA P-256 keys.", paramName);
        }
    }
}
