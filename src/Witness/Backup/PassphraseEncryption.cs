using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Witness.Cli.Backup;

/// <summary>
/// Seals a backup archive with a passphrase: the key is PBKDF2-HMAC-SHA256 (600,000 iterations, a
/// random 16-byte salt) of the passphrase, and the archive is cut into 1 MiB chunks each sealed with
/// .NET's AES-256-GCM. A chunk's nonce is its number, unique because every archive has its own salt
/// and so its own key; the header and a "last chunk" flag are authenticated with every chunk, so a
/// changed header, reordered, removed or appended chunks, or a cut-off end all fail to open.
/// </summary>
/// <remarks>
/// Layout: <c>WITNESS-BACKUP-AES256GCM-1\n</c>, salt (16), iterations (4, big-endian), then chunks of
/// length (4, big-endian, of the plaintext) · ciphertext · tag (16); the last chunk may be empty.
/// </remarks>
internal static class PassphraseEncryption
{
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("WITNESS-BACKUP-AES256GCM-1\n");
    private const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int TagBytes = 16;
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>Whether <paramref name="file"/> starts like an archive sealed by <see cref="Seal"/>.</summary>
    public static bool IsSealed(string file)
    {
        using var stream = File.OpenRead(file);
        var start = new byte[Magic.Length];
        return stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) == start.Length && start.AsSpan().SequenceEqual(Magic);
    }

    /// <summary>Copies <paramref name="plain"/> to <paramref name="sealedOutput"/>, sealed with <paramref name="passphrase"/>.</summary>
    public static void Seal(Stream plain, Stream sealedOutput, string passphrase)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var header = Header(salt, Iterations);
        sealedOutput.Write(header);
        using var aes = new AesGcm(DeriveKey(passphrase, salt, Iterations), TagBytes);
        var buffer = new byte[ChunkBytes];
        var next = new byte[ChunkBytes];
        var length = plain.ReadAtLeast(buffer, ChunkBytes, throwOnEndOfStream: false);
        var cipher = new byte[ChunkBytes];
        var tag = new byte[TagBytes];
        var size = new byte[4];
        for (ulong chunk = 0; ; chunk++)
        {
            var nextLength = length == ChunkBytes ? plain.ReadAtLeast(next, ChunkBytes, throwOnEndOfStream: false) : 0;
            var last = nextLength == 0;
            aes.Encrypt(Nonce(chunk), buffer.AsSpan(0, length), cipher.AsSpan(0, length), tag, Associated(header, last));
            BinaryPrimitives.WriteInt32BigEndian(size, length);
            sealedOutput.Write(size);
            sealedOutput.Write(cipher, 0, length);
            sealedOutput.Write(tag);
            if (last)
            {
                return;
            }

            (buffer, next) = (next, buffer);
            length = nextLength;
        }
    }

    /// <summary>Opens an archive sealed by <see cref="Seal"/> (a seekable file stream) into <paramref name="plain"/>.</summary>
    /// <exception cref="CryptographicException">The passphrase is wrong, or the archive was changed or cut off.</exception>
    public static void Open(Stream sealedInput, Stream plain, string passphrase)
    {
        var header = new byte[Magic.Length + SaltBytes + 4];
        if (sealedInput.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length || !header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CryptographicException("not a passphrase-sealed Witness backup");
        }

        var salt = header.AsSpan(Magic.Length, SaltBytes).ToArray();
        var iterations = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(Magic.Length + SaltBytes));
        if (iterations is < 100_000 or > 10_000_000)
        {
            throw new CryptographicException("the archive's key derivation settings are out of range");
        }

        using var aes = new AesGcm(DeriveKey(passphrase, salt, iterations), TagBytes);
        var size = new byte[4];
        var cipher = new byte[ChunkBytes];
        var clear = new byte[ChunkBytes];
        var tag = new byte[TagBytes];
        for (ulong chunk = 0; ; chunk++)
        {
            if (sealedInput.ReadAtLeast(size, 4, throwOnEndOfStream: false) != 4)
            {
                throw new CryptographicException("the archive is cut off");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(size);
            if (length is < 0 or > ChunkBytes
                || sealedInput.ReadAtLeast(cipher.AsSpan(0, length), length, throwOnEndOfStream: false) != length
                || sealedInput.ReadAtLeast(tag, TagBytes, throwOnEndOfStream: false) != TagBytes)
            {
                throw new CryptographicException("the archive is cut off or damaged");
            }

            // The chunk is the last one exactly when nothing follows it (the input is a file).
            var last = sealedInput.Position == sealedInput.Length;
            aes.Decrypt(Nonce(chunk), cipher.AsSpan(0, length), tag, clear.AsSpan(0, length), Associated(header, last));
            plain.Write(clear, 0, length);
            if (last)
            {
                return;
            }
        }
    }

    private static byte[] Header(byte[] salt, int iterations)
    {
        var header = new byte[Magic.Length + SaltBytes + 4];
        Magic.CopyTo(header, 0);
        salt.CopyTo(header, Magic.Length);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(Magic.Length + SaltBytes), iterations);
        return header;
    }

    private static byte[] DeriveKey(string passphrase, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);

    private static byte[] Nonce(ulong chunk)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), chunk);
        return nonce;
    }

    private static byte[] Associated(byte[] header, bool last) => [.. header, last ? (byte)1 : (byte)0];
}
