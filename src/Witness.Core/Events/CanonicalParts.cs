using System.Buffers;
using System.Buffers.Text;
using Witness.Integrity;

namespace Witness.Events;

/// <summary>
/// An event's canonical bytes with the two values only the log assigns (<c>seq</c> and
/// <c>received_at</c>) left open, so the costly part is written on the request's thread and the
/// single writer only splices. The bytes are those the content digest is taken of
/// (<see cref="CanonicalEvent.WriteUnsequenced"/>: times in <see cref="TimeForm.Trimmed"/>); the splice
/// writes seq, received_at and occurred_at, which follow each other, in the event's own
/// <see cref="AuditEvent.TimeForm"/>, and so gives exactly what <see cref="CanonicalEvent.Write"/> writes for the
/// complete event.
/// </summary>
public sealed class CanonicalParts
{
    // Written for Seq = 0 and ReceivedAt = default, occurred_at's text after it up to its closing quote;
    // nothing inside a JSON string can look like this, because quotes in values are escaped, so the first
    // match is the structural one.
    private static readonly byte[] Placeholder = ",\"seq\":0,\"received_at\":\"0001-01-01T00:00:00Z\",\"occurred_at\":\""u8.ToArray();

    private static readonly byte[] SeqName = ",\"seq\":"u8.ToArray();
    private static readonly byte[] ReceivedAtName = ",\"received_at\":\""u8.ToArray();
    private static readonly byte[] OccurredAtName = "\",\"occurred_at\":\""u8.ToArray();

    private readonly byte[] _bytes;
    private readonly int _split;
    private readonly int _tail;
    private byte[]? _leaf;
    private byte[]? _masked;
    private bool _sealed;

    private CanonicalParts(AuditEvent source, byte[] bytes, int split, int tail)
    {
        Source = source;
        _bytes = bytes;
        _split = split;
        _tail = tail;
    }

    /// <summary>The event object these parts were written from: parts belong to that object, not to a changed copy.</summary>
    internal AuditEvent Source { get; }

    /// <summary>The parts of <paramref name="e"/>; its own seq and received time are ignored.</summary>
    public static CanonicalParts Of(AuditEvent e) => FromUnsequenced(e, CanonicalEvent.WriteUnsequenced(e with { Seq = 0, ReceivedAt = default }));

    /// <summary>
    /// The parts from bytes already written by <see cref="CanonicalEvent.WriteUnsequenced"/> for <paramref name="e"/>
    /// with seq 0 and the default received time (the parser writes them for the content digest).
    /// </summary>
    internal static CanonicalParts FromUnsequenced(AuditEvent e, byte[] unsequenced)
    {
        var split = unsequenced.AsSpan().IndexOf(Placeholder);
        var occurredEnd = split < 0 ? -1 : unsequenced.AsSpan(split + Placeholder.Length).IndexOf((byte)'"');
        if (occurredEnd < 0)
        {
            throw new InvalidOperationException("the canonical form no longer starts with id, tenant, seq, received_at, occurred_at");
        }

        return new CanonicalParts(e, unsequenced, split, split + Placeholder.Length + occurredEnd + 1);
    }

    /// <summary>The canonical bytes of the event at <paramref name="seq"/>, received at <paramref name="receivedAt"/> (whole microseconds, UTC).</summary>
    public byte[] Complete(long seq, DateTimeOffset receivedAt)
    {
        Span<byte> times = stackalloc byte[2 * Rfc3339.MaxFormattedLength];
        var (received, occurred) = Times(receivedAt, times);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var digitsLength);

        // Written at its exact size: no growing buffer and no copy at the end.
        var result = new byte[_bytes.Length + Spliced(digitsLength, received, occurred)];
        Splice(_bytes, digits[..digitsLength], times[..received], times.Slice(Rfc3339.MaxFormattedLength, occurred), result);
        return result;
    }

    /// <summary>received_at and the source's occurred_at in its time form, into the two halves of <paramref name="times"/>; their lengths.</summary>
    private (int Received, int Occurred) Times(DateTimeOffset receivedAt, Span<byte> times) =>
        (Rfc3339.FormatUtf8(receivedAt, Source.TimeForm, times), Rfc3339.FormatUtf8(Source.OccurredAt, Source.TimeForm, times[Rfc3339.MaxFormattedLength..]));

    /// <summary>How many bytes the complete event has more than the unsequenced ones.</summary>
    private int Spliced(int digits, int received, int occurred) =>
        SeqName.Length + digits + ReceivedAtName.Length + received + OccurredAtName.Length + occurred + 1 - (_tail - _split);

    /// <summary>
    /// Seals the parts (<c>PersonalValues.Seal</c>): fresh salts for the built-in personal values
    /// and those at <paramref name="marked"/> paths, and the leaf form, kept for
    /// <see cref="Complete(long, DateTimeOffset, out byte[])"/> and <see cref="Personal"/>. Call once, on the
    /// request's thread, before the parts are handed to the writer; calling again keeps the first seal.
    /// </summary>
    public void Seal(PersonalPaths? marked = null)
    {
        if (!_sealed)
        {
            Personal = PersonalValues.Seal(_bytes, marked, out _leaf, out var emails, split: true, out var shape, out var values, out _masked);
            MarkedEmails = emails;
            if (Personal is not null)
            {
                var keys = PersonalSplit.Keys(_bytes, Personal, Source);
                Split = new SplitEvent(shape!, values, keys.PublicText, keys.PersonalText, keys.ActorEmail, keys.Ip);
            }

            _sealed = true;
        }
    }

    /// <summary>
    /// Where a store that keeps values beside the row puts the sealed event's values and keys
    /// (<see cref="PersonalSplit"/>), or null when it has no personal value. Set by <see cref="Seal"/>; its shape
    /// counts from the masked body's end, so it fits the masked body <see cref="Complete(long, DateTimeOffset, out byte[], out byte[])"/> gives.
    /// </summary>
    public SplitEvent? Split { get; private set; }

    /// <summary>The personal record of the sealed event (salts), or null when it has no personal value. Set by <see cref="Seal"/>.</summary>
    public byte[]? Personal { get; private set; }

    /// <summary>The email addresses the values at the sealed event's marked paths hold (<see cref="PersonalValues.MarkedEmails"/>), or null. Set by <see cref="Seal"/>.</summary>
    public string[]? MarkedEmails { get; private set; }

    /// <summary>
    /// <see cref="Complete(long, DateTimeOffset)"/>, and the event's leaf hash <c>SHA-256(0x00 ‖ leaf bytes)</c>
    /// in <paramref name="leafHash"/>: of the sealed leaf form (<see cref="Seal"/>, done here when it was
    /// not), or of the canonical bytes themselves when the event has no personal value.
    /// </summary>
    public byte[] Complete(long seq, DateTimeOffset receivedAt, out byte[] leafHash) => Complete(seq, receivedAt, out leafHash, out _, keepMasked: false);

    /// <summary>
    /// <see cref="Complete(long, DateTimeOffset, out byte[])"/>, and in <paramref name="masked"/> the same bytes with each
    /// personal value written as <c>"[erased]"</c> (null when the event has no personal value), which a store keeping the
    /// values beside the row (<see cref="Split"/>) stores as the event's body.
    /// </summary>
    public byte[] Complete(long seq, DateTimeOffset receivedAt, out byte[] leafHash, out byte[]? masked) => Complete(seq, receivedAt, out leafHash, out masked, keepMasked: true);

    private byte[] Complete(long seq, DateTimeOffset receivedAt, out byte[] leafHash, out byte[]? kept, bool keepMasked)
    {
        kept = null;
        Seal();
        Span<byte> times = stackalloc byte[2 * Rfc3339.MaxFormattedLength];
        var (receivedLength, occurredLength) = Times(receivedAt, times);
        var received = times[..receivedLength];
        var occurred = times.Slice(Rfc3339.MaxFormattedLength, occurredLength);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var digitsLength);
        digits = digits[..digitsLength];
        var spliced = Spliced(digitsLength, receivedLength, occurredLength);
        var body = new byte[_bytes.Length + spliced];
        Splice(_bytes, digits, received, occurred, body);
        if (_leaf is null)
        {
            leafHash = MerkleHash.Leaf(body);
            return body;
        }

        if (keepMasked && _masked is not null)
        {
            kept = new byte[_masked.Length + spliced];
            Splice(_masked, digits, received, occurred, kept);
        }

        var length = _leaf.Length + spliced;
        byte[]? rented = null;
        var leaf = length <= 4096 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        Splice(_leaf, digits, received, occurred, leaf);
        leafHash = MerkleHash.Leaf(leaf);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return body;
    }

    // Personal values come after seq, received_at and occurred_at (actor and context follow them), so the
    // leaf form has the placeholder where the bytes have it.
    private void Splice(byte[] source, ReadOnlySpan<byte> digits, ReadOnlySpan<byte> received, ReadOnlySpan<byte> occurred, Span<byte> at)
    {
        var head = source.AsSpan(0, _split);
        var tail = source.AsSpan(_tail);
        head.CopyTo(at);
        at = at[head.Length..];
        SeqName.CopyTo(at);
        at = at[SeqName.Length..];
        digits.CopyTo(at);
        at = at[digits.Length..];
        ReceivedAtName.CopyTo(at);
        at = at[ReceivedAtName.Length..];
        received.CopyTo(at);
        at = at[received.Length..];
        OccurredAtName.CopyTo(at);
        at = at[OccurredAtName.Length..];
        occurred.CopyTo(at);
        at[occurred.Length] = (byte)'"';
        tail.CopyTo(at[(occurred.Length + 1)..]);
    }
}
