using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Witness.Storage;

/// <summary>
/// A keyset position in the newest-first order (<c>occurred_at</c> descending, then <c>seq</c>
/// descending): the next page holds the events strictly after it. Events that arrive while a client
/// pages never shift a page, so nothing is shown twice or skipped.
/// </summary>
public sealed record EventCursor(long OccurredAtMicros, long Seq)
{
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, OccurredAtMicros);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Seq);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out EventCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 32)
        {
            return false;
        }

        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[24];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != 16)
        {
            return false;
        }

        cursor = new EventCursor(BinaryPrimitives.ReadInt64BigEndian(bytes), BinaryPrimitives.ReadInt64BigEndian(bytes[8..]));
        return cursor.Seq > 0;
    }
}
