using System.Buffers.Binary;
using System.Globalization;
using Org.BouncyCastle.Crypto.Parameters;

namespace Witness.Integrity;

/// <summary>
/// A C2SP verifier key of an Ed25519 signer, <c>&lt;name&gt;+&lt;hex key ID&gt;+base64(type ‖ public key)</c>:
/// type <c>0x01</c> for signed notes (a log's key), <c>0x04</c> for <c>cosignature/v1</c> (a witness's key).
/// Checks the signature lines of notes with it; other lines are ignored, as the spec asks.
/// </summary>
public sealed class NoteVerifierKey
{
    /// <summary>The signature type of C2SP tlog-cosignature (<c>cosignature/v1</c>, Ed25519).</summary>
    public const byte CosignatureType = 0x04;

    private readonly Ed25519PublicKeyParameters _key;

    private NoteVerifierKey(string name, uint keyId, byte type, Ed25519PublicKeyParameters key, string text)
    {
        (Name, KeyId, Type, _key, Text) = (name, keyId, type, key, text);
    }

    public string Name { get; }
    public uint KeyId { get; }
    public byte Type { get; }

    /// <summary>The verifier key as given.</summary>
    public string Text { get; }

    /// <summary>Reads a verifier key of type 0x01 or 0x04 whose key ID matches its name, type and public key.</summary>
    /// <exception cref="FormatException">It is not such a key; the message says which part is wrong.</exception>
    public static NoteVerifierKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('+', 3);
        if (parts.Length != 3)
        {
            throw new FormatException("a verifier key is <name>+<hex key ID>+<base64 key>");
        }

        var (name, idText, keyText) = (parts[0], parts[1], parts[2]);
        if (!NoteEncoding.IsValidKeyName(name))
        {
            throw new FormatException("the verifier key's name is empty or has spaces or control characters");
        }

        if (idText.Length != 8 || !uint.TryParse(idText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            throw new FormatException("the verifier key's ID is 8 hex digits");
        }

        if (!NoteEncoding.TryDecodeBase64(keyText, out var key) || key.Length != 33 || key[0] is not (Ed25519NoteKey.SignatureType or CosignatureType))
        {
            throw new FormatException("the verifier key is base64 of 0x01 (Ed25519) or 0x04 (cosignature/v1) and a 32-byte public key");
        }

        if (NoteKeyIds.Of(name, key[0], key.AsSpan(1)) != id)
        {
            throw new FormatException("the verifier key's ID does not match its name and public key");
        }

        return new NoteVerifierKey(name, id, key[0], new Ed25519PublicKeyParameters(key, 1), text);
    }

    /// <summary>True when the note carries a valid signature line of this (type 0x01) key over its body.</summary>
    public bool VerifiesNote(string note) => Type == Ed25519NoteKey.SignatureType && SignedNote.TryParse(note, out var parsed)
        && parsed.Signatures.Any(s => s.Name == Name && s.KeyId == KeyId && s.Signature.Length == 64 && Verify(NoteEncoding.Utf8(parsed.Body), s.Signature));

    /// <summary>
    /// The timestamp of this (type 0x04) witness's valid <c>cosignature/v1</c> line on the note, or null: the signed
    /// message is <c>cosignature/v1\ntime &lt;timestamp&gt;\n</c> followed by the note body.
    /// </summary>
    public long? CosignatureTime(string note)
    {
        if (Type != CosignatureType || !SignedNote.TryParse(note, out var parsed))
        {
            return null;
        }

        foreach (var line in parsed.Signatures)
        {
            if (line.Name == Name && line.KeyId == KeyId && line.Signature.Length == 72)
            {
                var time = BinaryPrimitives.ReadUInt64BigEndian(line.Signature);
                if (time <= long.MaxValue && Verify(CosignedMessage(parsed.Body, (long)time), line.Signature.AsSpan(8).ToArray()))
                {
                    return (long)time;
                }
            }
        }

        return null;
    }

    /// <summary>The bytes a <c>cosignature/v1</c> signs.</summary>
    public static byte[] CosignedMessage(string body, long timestamp) =>
        NoteEncoding.Utf8(string.Create(CultureInfo.InvariantCulture, $"cosignature/v1\ntime {timestamp}\n{body}"));

    private bool Verify(byte[] message, byte[] signature) =>
        _key.Verify(Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Algorithm.Ed25519, null, message, 0, message.Length, signature, 0);
}

/// <summary>A signed note split into its body (ending in a newline) and its signature lines.</summary>
public sealed record SignedNote(string Body, IReadOnlyList<NoteSignature> Signatures)
{
    /// <summary>Reads a note: a body, a blank line, one or more lines <c>— name base64(key ID ‖ signature)</c>.</summary>
    public static bool TryParse(string? text, out SignedNote note)
    {
        note = new SignedNote("", []);
        if (text is null || !text.EndsWith('\n') || !NoteEncoding.IsValidText(text, allowNewlines: true))
        {
            return false;
        }

        var split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || split + 2 >= text.Length)
        {
            return false;
        }

        var lines = new List<NoteSignature>();
        foreach (var line in text[(split + 2)..^1].Split('\n'))
        {
            if (!NoteSignature.TryParse(line, out var signature))
            {
                return false;
            }

            lines.Add(signature);
        }

        note = new SignedNote(text[..(split + 1)], lines);
        return true;
    }
}

/// <summary>One signature line: the key name, the key ID and what follows it in the base64 blob.</summary>
public sealed record NoteSignature(string Name, uint KeyId, byte[] Signature)
{
    /// <summary>The line, without its newline.</summary>
    public override string ToString() => $"\u2014 {Name} {Convert.ToBase64String([.. BigEndian(KeyId), .. Signature])}";

    public static bool TryParse(string line, out NoteSignature signature)
    {
        signature = new NoteSignature("", 0, []);
        if (!line.StartsWith("\u2014 ", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = line[2..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || !NoteEncoding.IsValidKeyName(rest[..space]) || !NoteEncoding.TryDecodeBase64(rest[(space + 1)..], out var blob) || blob.Length <= 4)
        {
            return false;
        }

        signature = new NoteSignature(rest[..space], BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
        return true;
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
