using System.Buffers;
using System.Buffers.Text;

namespace Witness.Events;

/// <summary>
/// An event's canonical bytes with the two values only the log assigns (<c>seq</c> and
/// <c>received_at</c>) left open, so the costly part is written on the request's thread and the
/// single writer only splices. The bytes come from <see cref="CanonicalEvent.Write"/> itself; the
/// splice gives exactly what it would write for the complete event.
/// </summary>
public sealed class CanonicalParts
{
    // Written for Seq = 0 and ReceivedAt = default; nothing inside a JSON string can look like this,
    // because quotes in values are escaped, so the first match is the structural one.
    private static readonly byte[] Placeholder = ",\"seq\":0,\"received_at\":\"0001-01-01T00:00:00Z\""u8.ToArray();

    private readonly byte[] _bytes;
    private readonly int _split;

    private CanonicalParts(byte[] bytes, int split)
    {
        _bytes = bytes;
        _split = split;
    }

    /// <summary>The parts of <paramref name="e"/>; its own seq and received time are ignored.</summary>
    public static CanonicalParts Of(AuditEvent e)
    {
        var bytes = CanonicalEvent.Write(e with { Seq = 0, ReceivedAt = default });
        var split = bytes.AsSpan().IndexOf(Placeholder);
        if (split < 0)
        {
            throw new InvalidOperationException("the canonical form no longer starts with id, tenant, seq, received_at");
        }

        return new CanonicalParts(bytes, split);
    }

    /// <summary>The canonical bytes of the event at <paramref name="seq"/>, received at <paramref name="receivedAt"/> (whole microseconds, UTC).</summary>
    public byte[] Complete(long seq, DateTimeOffset receivedAt)
    {
        var tail = _bytes.AsSpan(_split + Placeholder.Length);
        var time = Rfc3339.Format(receivedAt);
        var buffer = new ArrayBufferWriter<byte>(_bytes.Length + 48);
        buffer.Write(_bytes.AsSpan(0, _split));
        buffer.Write(",\"seq\":"u8);
        Utf8Formatter.TryFormat(seq, buffer.GetSpan(20), out var written);
        buffer.Advance(written);
        buffer.Write(",\"received_at\":\""u8);
        written = System.Text.Encoding.ASCII.GetBytes(time, buffer.GetSpan(time.Length));
        buffer.Advance(written);
        buffer.Write("\""u8);
        buffer.Write(tail);
        return buffer.WrittenSpan.ToArray();
    }
}
