using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// The ECDSA P-256 key that signs every tenant's checkpoints, with the key name its signature lines carry.
/// <see cref="LoadOrCreate"/> keeps it as PKCS#8 PEM in <c>checkpoint-signing-key.pem</c>, readable by the
/// owner only; <see cref="FromPem"/> takes it from configuration so that several instances share one key.
/// Owns <see cref="Key"/>: disposing this disposes the key.
/// </summary>
public sealed class SigningKey : IDisposable
{
    /// <summary>The file name of the key inside the data directory.</summary>
    public const string FileName = "checkpoint-signing-key.pem";

    private SigningKey(ECDsa key, string keyName)
    {
        Key = key;
        KeyName = keyName;
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>The private key.</summary>
    public ECDsa Key { get; }

    /// <summary>The C2SP key name of the signature lines; the checkpoint origin, such as <c>witness</c>.</summary>
    public string KeyName { get; }

    /// <summary>The public key as SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>), as served at <c>GET /v1/public-key</c>.</summary>
    public string PublicKeyPem { get; }

    /// <summary>The Ed25519 key whose signature every note also carries (C2SP type 0x01), when one was attached.</summary>
    public Ed25519NoteKey? Ed25519 { get; private set; }

    /// <summary>Attaches the Ed25519 key that signs beside this one; called once, where the key is loaded.</summary>
    public SigningKey WithEd25519(Ed25519NoteKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Ed25519 = key;
        return this;
    }

    /// <summary>The signed note of <paramref name="checkpoint"/>: the ECDSA signature line, then the Ed25519 one when attached.</summary>
    public string SignNote(Checkpoint checkpoint)
    {
        var note = CheckpointSigner.Sign(checkpoint, KeyName, Key);
        return Ed25519 is { } ed25519 ? ed25519.AddSignature(note) : note;
    }

    /// <summary>
    /// Loads the key from <c>directory/checkpoint-signing-key.pem</c>, or creates a new P-256 key there (and
    /// the directory) when there is none. On Unix the file is created with mode 0600. When two processes
    /// start at once, both end up with the key that was written first.
    /// </summary>
    /// <param name="directory">The data directory.</param>
    /// <param name="origin">The checkpoint origin, used as the key name.</param>
    /// <exception cref="ArgumentException">The origin is not a valid C2SP key name (non-empty, no spaces or plus signs).</exception>
    /// <exception cref="FormatException">The file exists but does not hold a P-256 private key.</exception>
    public static SigningKey LoadOrCreate(string directory, string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        EnsureKeyName(origin);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            return FromPem(File.ReadAllText(path), origin);
        }

        Directory.CreateDirectory(directory);
        using var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = created.ExportPkcs8PrivateKeyPem();

        // Written under a temporary name and then moved into place, so no reader ever sees half a key.
        var temporary = Path.Combine(directory, $"{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(pem);
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

        return FromPem(File.ReadAllText(path), origin);
    }

    /// <summary>The key in <paramref name="privatePem"/> (PKCS#8 <c>PRIVATE KEY</c> or SEC 1 <c>EC PRIVATE KEY</c>) under <paramref name="keyName"/>.</summary>
    /// <exception cref="ArgumentException">The key name is not a valid C2SP key name.</exception>
    /// <exception cref="FormatException">The text is not the PEM of a P-256 private key.</exception>
    public static SigningKey FromPem(string privatePem, string keyName)
    {
        ArgumentNullException.ThrowIfNull(privatePem);
        EnsureKeyName(keyName);
        return new SigningKey(ImportP256(privatePem, "PRIVATE KEY", "EC PRIVATE KEY"), keyName);
    }

    /// <summary>Reads a SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>) of a P-256 key, such as <see cref="PublicKeyPem"/>.</summary>
    /// <exception cref="FormatException">The text is not such a PEM.</exception>
    public static ECDsa ImportPublicKeyPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        return ImportP256(pem, "PUBLIC KEY");
    }

    /// <inheritdoc/>
    public void Dispose() => Key.Dispose();

    private static ECDsa ImportP256(string pem, params string[] labels)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || !labels.Contains(pem[fields.Label].ToString()))
        {
            throw new FormatException($"Expected a PEM with the label {string.Join(" or ", labels)}.");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem[fields.Location]);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new FormatException("The PEM does not hold an EC key.", e);
        }

        if (!CheckpointSigner.IsP256(key))
        {
            key.Dispose();
            throw new FormatException("Checkpoints are signed with ECDSA P-256 keys; the PEM holds a key on another curve.");
        }

        return key;
    }

    private static void EnsureKeyName(string keyName)
    {
        if (!NoteEncoding.IsValidKeyName(keyName))
        {
            throw new ArgumentException("A key name is non-empty and has no spaces, plus signs or control characters.", nameof(keyName));
        }
    }
}
