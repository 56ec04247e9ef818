using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Witness.Integrity;

/// <summary>
/// An Ed25519 key that signs C2SP signed notes (signature type <c>0x01</c>): the signature line is
/// <c>— &lt;key name&gt; base64(key ID ‖ signature)</c>, the key ID the first four bytes of
/// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key), and the signature Ed25519 over the note body.
/// Notes it signs verify with Go's <c>golang.org/x/mod/sumdb/note</c> given <see cref="VerifierKey"/>.
/// Kept as PKCS#8 PEM (<c>openssl genpkey -algorithm ed25519</c> writes the same), owner-only.
/// </summary>
public sealed class Ed25519NoteKey
{
    /// <summary>The C2SP signed-note signature type of Ed25519.</summary>
    public const byte SignatureType = 0x01;

    /// <summary>What the key file's name adds to the ECDSA key file's name it lives beside.</summary>
    public const string FileSuffix = ".ed25519";

    private readonly Ed25519PrivateKeyParameters _key;

    private Ed25519NoteKey(Ed25519PrivateKeyParameters key, string keyName)
    {
        _key = key;
        KeyName = keyName;
        PublicKey = key.GeneratePublicKey().GetEncoded();
        KeyId = NoteKeyIds.Of(keyName, SignatureType, PublicKey);
    }

    /// <summary>The C2SP key name of the signature lines.</summary>
    public string KeyName { get; }

    /// <summary>The 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The key ID its signature lines carry.</summary>
    public uint KeyId { get; }

    /// <summary>The verifier key other note tools take: <c>&lt;name&gt;+&lt;hex key ID&gt;+base64(0x01 ‖ public key)</c>.</summary>
    public string VerifierKey => $"{KeyName}+{KeyId:x8}+{Convert.ToBase64String([SignatureType, .. PublicKey])}";

    /// <summary>A new random key.</summary>
    public static Ed25519NoteKey Generate(string keyName) => new(new Ed25519PrivateKeyParameters(new SecureRandom()), ValidName(keyName));

    /// <summary>The key in a PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>) under <paramref name="keyName"/>.</summary>
    /// <exception cref="FormatException">The text is not the PEM of an Ed25519 private key.</exception>
    public static Ed25519NoteKey FromPem(string pem, string keyName)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PRIVATE KEY")
        {
            throw new FormatException("Expected a PEM with the label PRIVATE KEY (openssl genpkey -algorithm ed25519).");
        }

        try
        {
            return PrivateKeyFactory.CreateKey(Convert.FromBase64String(pem[fields.Base64Data].ToString())) is Ed25519PrivateKeyParameters key
                ? new Ed25519NoteKey(key, ValidName(keyName))
                : throw new FormatException("The PEM holds a private key of another kind than Ed25519.");
        }
        catch (Exception ex) when (ex is not FormatException and not ArgumentException)
        {
            throw new FormatException("The PEM does not hold a PKCS#8 private key.", ex);
        }
    }

    /// <summary>
    /// Loads the key at <paramref name="path"/>, or creates a new one there (mode 0600 on Unix) when there is
    /// none. When two processes start at once both end up with the key written first.
    /// </summary>
    /// <exception cref="FormatException">The file exists but does not hold an Ed25519 private key.</exception>
    public static Ed25519NoteKey LoadOrCreate(string path, string keyName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return FromPem(File.ReadAllText(path), keyName);
        }

        var created = Generate(keyName);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(created.ToPem());
            }

            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the key first; use that one.
        }
        finally
        {
            File.Delete(temporary);
        }

        return FromPem(File.ReadAllText(path), keyName);
    }

    /// <summary>The key as PKCS#8 PEM.</summary>
    public string ToPem() =>
        PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(_key).GetEncoded());

    /// <summary>The Ed25519 signature of <paramref name="message"/> (64 bytes).</summary>
    public byte[] SignBytes(ReadOnlySpan<byte> message)
    {
        var data = message.ToArray();
        var signature = new byte[Ed25519PrivateKeyParameters.SignatureSize];
        _key.Sign(Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Algorithm.Ed25519, null, data, 0, data.Length, signature, 0);
        return signature;
    }

    /// <summary>The signature line of this key over <paramref name="body"/> (a note body ending in a newline), newline included.</summary>
    public string SignatureLine(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var signature = SignBytes(NoteEncoding.Utf8(body));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId);
        signature.CopyTo(blob, 4);
        return $"\u2014 {KeyName} {Convert.ToBase64String(blob)}\n";
    }

    /// <summary>
    /// <paramref name="signedNote"/> with this key's signature line added after the others. Every signature of a
    /// note is over the same body, so adding one leaves the others valid.
    /// </summary>
    /// <exception cref="FormatException">The text is not a signed note (a body, a blank line, signature lines).</exception>
    public string AddSignature(string signedNote)
    {
        ArgumentNullException.ThrowIfNull(signedNote);
        var split = signedNote.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !signedNote.EndsWith('\n'))
        {
            throw new FormatException("A signed note is a body, a blank line and signature lines, each ending in a newline.");
        }

        return signedNote + SignatureLine(signedNote[..(split + 1)]);
    }

    /// <summary>The key ID of this key's <c>cosignature/v1</c> lines (type 0x04), when it acts as a witness.</summary>
    public uint CosignatureKeyId => NoteKeyIds.Of(KeyName, NoteVerifierKey.CosignatureType, PublicKey);

    /// <summary>The verifier key of this key as a witness: <c>&lt;name&gt;+&lt;hex key ID&gt;+base64(0x04 ‖ public key)</c>.</summary>
    public string CosignerVerifierKey => $"{KeyName}+{CosignatureKeyId:x8}+{Convert.ToBase64String([NoteVerifierKey.CosignatureType, .. PublicKey])}";

    /// <summary>
    /// The C2SP tlog-cosignature line (<c>cosignature/v1</c>) of this key over a note <paramref name="body"/> at
    /// <paramref name="timestamp"/> (POSIX seconds, not zero), newline included.
    /// </summary>
    public string CosignatureLine(string body, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestamp);
        var signature = SignBytes(NoteVerifierKey.CosignedMessage(body, timestamp));
        var blob = new byte[12 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, CosignatureKeyId);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), (ulong)timestamp);
        signature.CopyTo(blob, 12);
        return $"\u2014 {KeyName} {Convert.ToBase64String(blob)}\n";
    }

    private static string ValidName(string keyName) =>
        NoteEncoding.IsValidKeyName(keyName)
            ? keyName
            : throw new ArgumentException("A key name is non-empty and has no spaces, plus signs or control characters.", nameof(keyName));
}

/// <summary>C2SP signed-note key IDs of the types that hash in the key name and type.</summary>
public static class NoteKeyIds
{
    /// <summary>The first four bytes, big-endian, of SHA-256(key name ‖ 0x0A ‖ type ‖ public key).</summary>
    public static uint Of(string keyName, byte type, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(keyName);
        byte[] data = [.. NoteEncoding.Utf8(keyName), 0x0A, type, .. publicKey];
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(data));
    }
}
