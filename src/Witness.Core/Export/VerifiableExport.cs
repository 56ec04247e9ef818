using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Witness.Export;

/// <summary>
/// The self-verifying NDJSON export (docs/export-format.md): a header line with the signed
/// checkpoint, one line per event, and a trailer line signed by the log's key over the SHA-256 of
/// everything before it. Written by <see cref="NdjsonExportWriter"/>, checked by <see cref="ExportVerifier"/>.
/// </summary>
public static class VerifiableExport
{
    /// <summary>The format version in the header's <c>witness_export</c> member.</summary>
    public const int Version = 1;

    /// <summary>The header's mode when the file is the whole log in seq order; the verifier recomputes the root.</summary>
    public const string WholeLogMode = "log";

    /// <summary>The header's mode when each event line carries its inclusion proof.</summary>
    public const string ProofsMode = "proofs";

    /// <summary>The member of the header line that marks a Witness export.</summary>
    public const string HeaderMember = "witness_export";

    /// <summary>The member of the trailer line.</summary>
    public const string TrailerMember = "witness_export_end";

    /// <summary>
    /// The text the trailer signature covers. Its first line keeps it from ever being taken for a
    /// checkpoint note, which the same key signs.
    /// </summary>
    public static byte[] TrailerStatement(string tenant, long events, string sha256Hex) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"witness-export/v{Version}\n{tenant}\n{events}\n{sha256Hex}\n"));

    /// <summary>An ECDSA P-256 signature (SHA-256, DER) of the trailer statement.</summary>
    public static byte[] SignTrailer(ECDsa key, string tenant, long events, string sha256Hex) =>
        key.SignData(TrailerStatement(tenant, events, sha256Hex), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>True when <paramref name="signature"/> is the key's signature of the trailer statement; never throws on a malformed signature.</summary>
    public static bool VerifyTrailer(ECDsa publicKey, string tenant, long events, string sha256Hex, byte[] signature)
    {
        try
        {
            return publicKey.VerifyData(TrailerStatement(tenant, events, sha256Hex), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
