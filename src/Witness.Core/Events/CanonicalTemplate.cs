using System.Globalization;
using System.Text;

namespace Witness.Events;

/// <summary>
/// The canonical bytes of an event before it has a place in a log: written by
/// <see cref="CanonicalEvent.Write"/> with seq 0 and no received_at, remembering where those two
/// fields are. <see cref="Stamp(long, DateTimeOffset)"/> puts the real values in and gives exactly the bytes that
/// <see cref="CanonicalEvent.Write"/> writes for the appended event, so an append does the full
/// write before the tenant's log is locked and only this splice while it is held.
/// </summary>
public sealed class CanonicalTemplate
{
    // What CanonicalEvent.Write puts after "tenant" for seq 0 and no received_at.
    private static readonly byte[] Placeholder = Encoding.UTF8.GetBytes($",\"seq\":0,\"received_at\":\"{Rfc3339.Format(default)}\"");

    private readonly byte[] _bytes;
    private readonly int _offset;

    private CanonicalTemplate(AuditEvent source, byte[] bytes, int offset)
    {
        Source = source;
        _bytes = bytes;
        _offset = offset;
    }

    /// <summary>The event the template was written from; only its seq and received_at are left open.</summary>
    public AuditEvent Source { get; }

    public static CanonicalTemplate Of(AuditEvent e)
    {
        var bytes = CanonicalEvent.Write(e with { Seq = 0, ReceivedAt = default });
        // A quote inside a JSON string is always escaped, so the first unescaped ,"seq": is the field itself.
        var offset = bytes.AsSpan().IndexOf(Placeholder);
        if (offset < 0)
        {
            throw new InvalidOperationException("the canonical form has no seq and received_at where the template expects them");
        }

        return new CanonicalTemplate(e, bytes, offset);
    }

    /// <summary>The canonical bytes of <see cref="Source"/> with <paramref name="seq"/> and <paramref name="receivedAt"/>, as <see cref="CanonicalEvent.Write"/> writes them.</summary>
    public byte[] Stamp(long seq, DateTimeOffset receivedAt) => Stamp(seq, FormatTime(receivedAt));

    /// <summary><paramref name="receivedAt"/> as <see cref="Stamp(long, byte[])"/> takes it, so a group of events received together formats it once.</summary>
    public static byte[] FormatTime(DateTimeOffset receivedAt) => Encoding.UTF8.GetBytes(Rfc3339.Format(receivedAt));

    /// <summary>As <see cref="Stamp(long, DateTimeOffset)"/>, with received_at already formatted by <see cref="FormatTime"/>.</summary>
    public byte[] Stamp(long seq, byte[] receivedAt)
    {
        Span<byte> middle = stackalloc byte[96];
        var length = 0;
        Append(middle, ref length, ",\"seq\":"u8);
        seq.TryFormat(middle[length..], out var digits, default, CultureInfo.InvariantCulture);
        length += digits;
        Append(middle, ref length, ",\"received_at\":\""u8);
        Append(middle, ref length, receivedAt);
        Append(middle, ref length, "\""u8);

        var tail = _bytes.Length - _offset - Placeholder.Length;
        var body = new byte[_offset + length + tail];
        _bytes.AsSpan(0, _offset).CopyTo(body);
        middle[..length].CopyTo(body.AsSpan(_offset));
        _bytes.AsSpan(_offset + Placeholder.Length).CopyTo(body.AsSpan(_offset + length));
        return body;
    }

    private static void Append(Span<byte> target, ref int length, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(target[length..]);
        length += bytes.Length;
    }
}
