using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Witness.Client;

/// <summary>
/// Checks what a Witness server says without trusting it: a checkpoint must carry a valid signature by the pinned
/// public key (ECDSA P-256, C2SP signed note, signature type 0x02), and an inclusion proof must lead from the
/// event's leaf hash to that checkpoint's root (RFC 9162 §2.1.3.2). Thread-safe.
/// </summary>
/// <remarks>
/// Written here, not shared with the server's code, so that the client package stays small and free of server
/// dependencies; the server's tests and these check the same notes and proofs.
/// </remarks>
public sealed class WitnessVerifier : IDisposable
{
    private const string SignaturePrefix = "\u2014 ";
    private const int HashSize = 32;
    private readonly ECDsa _key;
    private readonly uint _keyId;

    /// <summary>Pins the checkpoint signing key: the PEM that <c>GET /v1/public-key</c> served when you first trusted the server.</summary>
    /// <exception cref="ArgumentException">The text is not a PEM ECDSA P-256 public key.</exception>
    public WitnessVerifier(string publicKeyPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(publicKeyPem);
        _key = ECDsa.Create();
        try
        {
            _key.ImportFromPem(publicKeyPem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            _key.Dispose();
            throw new ArgumentException("The public key is not a PEM ECDSA key.", nameof(publicKeyPem), ex);
        }

        var curve = _key.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            _key.Dispose();
            throw new ArgumentException("Witness signs checkpoints with ECDSA P-256 keys.", nameof(publicKeyPem));
        }

        _keyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// The checkpoint in <paramref name="note"/>, once a signature line by the pinned key verifies. Lines by other
    /// keys are ignored (witnesses may cosign); any line by the pinned key that fails rejects the note.
    /// </summary>
    /// <exception cref="WitnessVerificationException">Malformed, unsigned by the pinned key, a bad signature, or another origin than <paramref name="expectedOrigin"/>.</exception>
    public VerifiedCheckpoint VerifyCheckpoint(string note, string? expectedOrigin = null)
    {
        ArgumentNullException.ThrowIfNull(note);
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new WitnessVerificationException("The checkpoint is not a signed note (a body, a blank line and signature lines).");
        }

        var body = note[..(split + 1)];
        var verified = false;
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            var (name, keyId, signature) = ParseSignatureLine(line);
            if (keyId != _keyId || name.Length == 0)
            {
                continue;
            }

            if (!Verify(Encoding.UTF8.GetBytes(body), signature))
            {
                throw new WitnessVerificationException($"The signature of '{name}' on the checkpoint does not verify with the pinned key.");
            }

            verified = true;
        }

        if (!verified)
        {
            throw new WitnessVerificationException("The checkpoint carries no signature by the pinned key.");
        }

        var checkpoint = ParseBody(body);
        if (expectedOrigin is not null && checkpoint.Origin != expectedOrigin)
        {
            throw new WitnessVerificationException($"The checkpoint is of log '{checkpoint.Origin}', not '{expectedOrigin}'.");
        }

        return checkpoint;
    }

    /// <summary>
    /// Checks that <paramref name="proof"/> proves its leaf hash is leaf <c>LeafIndex</c> of the tree its signed
    /// checkpoint commits to. Pass <paramref name="expectedLeafHash"/> (the event's <c>hash</c>, or one computed
    /// from a copy kept elsewhere) to tie the proof to the event you hold.
    /// </summary>
    /// <returns>The verified checkpoint.</returns>
    /// <exception cref="WitnessVerificationException">The checkpoint or the proof does not verify.</exception>
    public VerifiedCheckpoint VerifyInclusion(InclusionProof proof, string? expectedLeafHash = null)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var checkpoint = VerifyCheckpoint(proof.Checkpoint.Note);
        if (checkpoint.Size != proof.TreeSize)
        {
            throw new WitnessVerificationException($"The proof is for a tree of {proof.TreeSize} events, the signed checkpoint has {checkpoint.Size}.");
        }

        if (expectedLeafHash is not null && !string.Equals(expectedLeafHash, proof.LeafHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new WitnessVerificationException("The proof is for another leaf than the event's hash.");
        }

        var leaf = Hex(proof.LeafHash, "leaf hash");
        var path = proof.Proof.Select((p, i) => Hex(p, $"proof[{i}]")).ToList();
        if (!InclusionHolds(leaf, proof.LeafIndex, proof.TreeSize, path, checkpoint.RootHash))
        {
            throw new WitnessVerificationException($"The inclusion proof of leaf {proof.LeafIndex} does not lead to the signed root.");
        }

        return checkpoint;
    }

    /// <summary>RFC 9162 §2.1.3.2: does <paramref name="proof"/> lead from the leaf to <paramref name="root"/>?</summary>
    internal static bool InclusionHolds(byte[] leafHash, long leafIndex, long treeSize, IReadOnlyList<byte[]> proof, byte[] root)
    {
        if (leafIndex < 0 || leafIndex >= treeSize || leafHash.Length != HashSize || root.Length != HashSize || proof.Any(p => p.Length != HashSize))
        {
            return false;
        }

        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    private static byte[] Node(byte[] left, byte[] right)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = 0x01;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        return SHA256.HashData(input);
    }

    private bool Verify(byte[] data, byte[] signature)
    {
        try
        {
            return _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static (string Name, uint KeyId, byte[] Signature) ParseSignatureLine(string line)
    {
        var space = line.StartsWith(SignaturePrefix, StringComparison.Ordinal) ? line.IndexOf(' ', SignaturePrefix.Length) : -1;
        if (space < 0)
        {
            throw new WitnessVerificationException("A checkpoint signature line is '— <key name> <base64 signature>'.");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(line[(space + 1)..]);
        }
        catch (FormatException)
        {
            throw new WitnessVerificationException("A checkpoint signature is not base64.");
        }

        if (blob.Length <= 4)
        {
            throw new WitnessVerificationException("A checkpoint signature is too short to carry a key id.");
        }

        return (line[SignaturePrefix.Length..space], BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
    }

    private static VerifiedCheckpoint ParseBody(string body)
    {
        var lines = body[..^1].Split('\n');
        if (lines.Length < 3 || lines[0].Length == 0
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new WitnessVerificationException("The checkpoint body is not origin, tree size and root hash lines.");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            throw new WitnessVerificationException("The checkpoint root hash is not base64.");
        }

        return root.Length == HashSize
            ? new VerifiedCheckpoint(lines[0], size, root)
            : throw new WitnessVerificationException("The checkpoint root hash is not 32 bytes.");
    }

    private static byte[] Hex(string text, string what)
    {
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new WitnessVerificationException($"The {what} is not hex.");
        }
    }

    public void Dispose() => _key.Dispose();
}
