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

    private static readonly byte[] SeqName = ",\"seq\":"u8.ToArray();
    private static readonly byte[] ReceivedAtName = ",\"received_at\":\""u8.ToArray();

    private readonly byte[] _bytes;
    private readonly int _split;

    private CanonicalParts(AuditEvent source, byte[] bytes, int split)
    {
        Source = source;
        _bytes = bytes;
        _split = split;
    }

    /// <summary>The event object these parts were written from: parts belong to that object, not to a changed copy.</summary>
    internal AuditEvent Source { get; }

    /// <summary>The parts of <paramref name="e"/>; its own seq and received time are ignored.</summary>
    public static CanonicalParts Of(AuditEvent e) => FromUnsequenced(e, CanonicalEvent.Write(e with { Seq = 0, ReceivedAt = default }));

    /// <summary>
    /// The parts from bytes already written by <see cref="CanonicalEvent.Write"/> for <paramref name="e"/>
    /// with seq 0 and the default received time (the parser writes them for the content digest).
    /// </summary>
    internal static CanonicalParts FromUnsequenced(AuditEvent e, byte[] unsequenced)
    {
        var split = unsequenced.AsSpan().IndexOf(Placeholder);
        if (split < 0)
        {
            throw new InvalidOperationException("the canonical form no longer starts with id, tenant, seq, received_at");
        }

        return new CanonicalParts(e, unsequenced, split);
    }

    /// <summary>The canonical bytes of the event at <paramref name="seq"/>, received at <paramref name="receivedAt"/> (whole microseconds, UTC).</summary>
    public byte[] Complete(long seq, DateTimeOffset receivedAt)
    {
        Span<byte> time = stackalloc byte[Rfc3339.MaxFormattedLength];
        var timeLength = Rfc3339.FormatUtf8(receivedAt, time);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var digitsLength);

        // Written at its exact size: no growing buffer and no copy at the end.
        var head = _bytes.AsSpan(0, _split);
        var tail = _bytes.AsSpan(_split + Placeholder.Length);
        var result = new byte[head.Length + SeqName.Length + digitsLength + ReceivedAtName.Length + timeLength + 1 + tail.Length];
        var at = result.AsSpan();
        head.CopyTo(at);
        at = at[head.Length..];
        SeqName.CopyTo(at);
        at = at[SeqName.Length..];
        digits[..digitsLength].CopyTo(at);
        at = at[digitsLength..];
        ReceivedAtName.CopyTo(at);
        at = at[ReceivedAtName.Length..];
        time[..timeLength].CopyTo(at);
        at[timeLength] = (byte)'"';
        tail.CopyTo(at[(timeLength + 1)..]);
        return result;
    }
}
