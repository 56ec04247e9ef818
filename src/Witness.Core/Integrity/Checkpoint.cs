using System.Globalization;
using System.Text;

namespace Witness.Integrity;

/// <summary>
/// A tree head of one tenant's log: the origin (the log's name), the number of leaves and the root hash.
/// Its text form is the C2SP tlog-checkpoint note body <c>origin\nsize\nbase64(root)\n</c>, without
/// extension lines. Two checkpoints are equal when all three parts are, the root compared by content.
/// </summary>
/// <exception cref="ArgumentException">The origin is empty or has a control character or invalid UTF-16, the size is negative, or the root is not 32 bytes.</exception>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    /// <summary>The log's name: non-empty, one line, no control characters.</summary>
    public string Origin { get; init => field = ValidOrigin(value); } = ValidOrigin(Origin);

    /// <summary>The tree size, ≥ 0.</summary>
    public long Size { get; init => field = ValidSize(value); } = ValidSize(Size);

    /// <summary>The 32-byte root hash (a copy of what was given).</summary>
    public byte[] RootHash { get; init => field = ValidRoot(value); } = ValidRoot(RootHash);

    /// <summary>The C2SP tlog-checkpoint body: <c>origin\nsize\nbase64(root)\n</c>.</summary>
    public string ToBody() =>
        string.Create(CultureInfo.InvariantCulture, $"{Origin}\n{Size}\n{Convert.ToBase64String(RootHash)}\n");

    /// <summary>
    /// Reads exactly the form <see cref="ToBody"/> writes: three lines each ending in a newline, a size in
    /// decimal without sign or leading zeros, and a root in canonical padded base64 of 32 bytes.
    /// Extension lines are rejected: Witness never writes them.
    /// </summary>
    /// <exception cref="FormatException">The text is not such a body.</exception>
    public static Checkpoint ParseBody(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!body.EndsWith('\n'))
        {
            throw new FormatException("A checkpoint body ends with a newline.");
        }

        var lines = body[..^1].Split('\n');
        if (lines.Length != 3)
        {
            throw new FormatException($"A checkpoint body has 3 lines (origin, size, root hash), not {lines.Length}.");
        }

        var (origin, sizeText, rootText) = (lines[0], lines[1], lines[2]);
        if (origin.Length == 0 || !NoteEncoding.IsValidText(origin, allowNewlines: false))
        {
            throw new FormatException("A checkpoint origin is a non-empty line without control characters.");
        }

        if (!IsCanonicalDecimal(sizeText) || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException($"'{sizeText}' is not a tree size (decimal digits, no leading zeros).");
        }

        if (!NoteEncoding.TryDecodeBase64(rootText, out var root) || root.Length != MerkleHash.Size)
        {
            throw new FormatException("A checkpoint root hash is the base64 of 32 bytes.");
        }

        return new Checkpoint(origin, size, root);
    }

    /// <inheritdoc/>
    public bool Equals(Checkpoint? other) =>
        other is not null && Origin == other.Origin && Size == other.Size && RootHash.AsSpan().SequenceEqual(other.RootHash);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Origin, Size, BitConverter.ToInt32(RootHash));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Origin = {Origin}, Size = {Size}, RootHash = {Convert.ToBase64String(RootHash)}");
        return true;
    }

    private static string ValidOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return origin.Length > 0 && NoteEncoding.IsValidText(origin, allowNewlines: false)
            ? origin
            : throw new ArgumentException("A checkpoint origin is a non-empty line without control characters.", nameof(Origin));
    }

    private static long ValidSize(long size) =>
        size >= 0 ? size : throw new ArgumentOutOfRangeException(nameof(Size), "A tree size is never negative.");

    private static byte[] ValidRoot(byte[] root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.Length == MerkleHash.Size
            ? (byte[])root.Clone()
            : throw new ArgumentException($"A root hash is {MerkleHash.Size} bytes.", nameof(RootHash));
    }

    private static bool IsCanonicalDecimal(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0');
}
