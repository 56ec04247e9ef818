using System.Buffers;
using System.Net;
using Witness.Search;
using Witness.Storage;

namespace Witness.Events;

/// <summary>
/// Where a store keeps an event of leaf version 2 so that an erasure never writes the event's row
/// (docs/erasure.md, "Where the values are kept"). The row keeps the <em>masked body</em> (the body with each
/// personal value written as <c>"[erased]"</c>) and a <em>shape</em> that says where those marks stand and holds each
/// value's commitment; the values and their salts go to a side row, the <em>values record</em>, with the index keys
/// they give (the actor's email, the IP, the personal part of the free text). An erasure deletes or rewrites only the
/// side row; <see cref="Join(byte[], byte[], byte[])"/> gives back the body and personal record that
/// <see cref="PersonalValues"/> reads everywhere else, so nothing downstream knows the difference, and the leaf (each
/// value its commitment) follows from them as before.
/// <para>
/// Shape: the kind byte <see cref="Flag"/> (with <see cref="PersonalValues.Marked"/> and the marked paths
/// when the event has them), the number of personal values, then for each, in body order, how far its
/// mark starts from the masked body's end (a body's head, where the log splices seq and received_at,
/// may change length; its tail does not) and its 32-byte commitment. Values record: a version byte, then per value
/// a tag: salted (the 16-byte salt and the value's JSON token), erased (nothing), or redacted (the JSON token
/// of a rendered description with its copies of erased values read <c>[erased]</c>).
/// </para>
/// </summary>
public static class PersonalSplit
{
    /// <summary>On the kind byte of a shape: the values are kept beside the row, not in it.</summary>
    public const byte Flag = 0x40;

    private const byte Version = 2;
    private const byte SaltedTag = 1;
    private const byte ErasedTag = 2;
    private const byte RedactedTag = 3;

    /// <summary>Whether a row's personal column holds a shape (its values are in the side row).</summary>
    public static bool IsShape(ReadOnlySpan<byte> personal) => personal.Length > 0 && (personal[0] & Flag) != 0;

    /// <summary>
    /// The shape, values record and keys of a sealed event: <paramref name="body"/> with its values and its personal
    /// <paramref name="record"/> (<see cref="PersonalValues.Seal(ReadOnlySpan{byte}, PersonalPaths?, out byte[])"/>). The
    /// event as read from the body may be given as <paramref name="shown"/> to save a parse. The bytes may be those before
    /// the log splices seq and received_at, or after; the row's body is <see cref="Mask(byte[], byte[])"/> of the same bytes.
    /// </summary>
    public static SplitEvent Split(byte[] body, byte[] record, AuditEvent? shown = null)
    {
        var (slots, count, header) = Slots(body, record);
        Span<byte> commitments = new byte[count * PersonalValues.CommitmentSize];
        var kind = record[0] & ~PersonalValues.Marked;
        var entries = record.AsSpan(header);
        var read = 0;
        for (var i = 0; i < count; i++)
        {
            if (!PersonalValues.TryNextEntry((byte)kind, entries, ref read, out var salted, out var entry))
            {
                throw Unfit();
            }

            var commitment = commitments.Slice(i * PersonalValues.CommitmentSize, PersonalValues.CommitmentSize);
            if (salted)
            {
                PersonalValues.Commit(entry, PersonalValues.Value(body, slots[i]), commitment);
            }
            else
            {
                entry.CopyTo(commitment);
            }
        }

        var shape = WriteShape(body, slots.AsSpan(0, count), record.AsSpan(0, header), commitments);
        var keys = Keys(body, record, shown);
        return new SplitEvent(shape, ValuesOf(body, record, slots.AsSpan(0, count), header), keys.PublicText, keys.PersonalText, keys.ActorEmail, keys.Ip);
    }

    /// <summary>
    /// The body a split event's row keeps: <paramref name="body"/> with each of its personal values written as
    /// <c>"[erased]"</c> (the bytes of the event with every value erased, but for a rendered description's text).
    /// </summary>
    public static byte[] Mask(byte[] body, byte[] record)
    {
        var (slots, count, _) = Slots(body, record);
        return Mask(body, slots.AsSpan(0, count));
    }

    /// <summary>
    /// The shape, values record and masked body of a freshly sealed event (every value salted) from the slots the seal
    /// found, at their exact sizes: <paramref name="header"/> (kind and marked paths of the record) starts the shape, the
    /// <paramref name="commitments"/> of the values follow in it, the salts of <paramref name="record"/> go to the values.
    /// </summary>
    internal static (byte[] Shape, byte[] Values, byte[] Masked) Write(ReadOnlySpan<byte> body, ReadOnlySpan<PersonalValues.Slot> slots, ReadOnlySpan<byte> record, int header, ReadOnlySpan<byte> commitments)
    {
        var valuesLength = 1;
        foreach (var slot in slots)
        {
            valuesLength += 1 + PersonalValues.SaltSize + VarintLength(slot.End - slot.Start) + (slot.End - slot.Start);
        }

        var values = new byte[valuesLength];
        values[0] = Version;
        var v = 1;
        var salts = record[header..];
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            values[v++] = SaltedTag;
            salts.Slice(i * PersonalValues.SaltSize, PersonalValues.SaltSize).CopyTo(values.AsSpan(v));
            v += PersonalValues.SaltSize;
            v += WriteVarint(values.AsSpan(v), slot.End - slot.Start);
            body[slot.Start..slot.End].CopyTo(values.AsSpan(v));
            v += slot.End - slot.Start;
        }

        return (WriteShape(body, slots, record[..header], commitments), values, Mask(body, slots));
    }

    /// <summary>The shape: the record's <paramref name="header"/> with the split flag, the number of values, and per value where its mark stands from the masked body's end and its commitment.</summary>
    private static byte[] WriteShape(ReadOnlySpan<byte> body, ReadOnlySpan<PersonalValues.Slot> slots, ReadOnlySpan<byte> header, ReadOnlySpan<byte> commitments)
    {
        var maskedLength = MaskedLength(body, slots);
        var shapeLength = header.Length + VarintLength(slots.Length) + (slots.Length * PersonalValues.CommitmentSize);
        var shift = 0;
        foreach (var slot in slots)
        {
            shapeLength += VarintLength(maskedLength - (slot.Start + shift));
            shift += PersonalValues.ErasedJson.Length - (slot.End - slot.Start);
        }

        var shape = new byte[shapeLength];
        header.CopyTo(shape);
        shape[0] = (byte)(Flag | (header[0] & PersonalValues.Marked));
        var s = header.Length;
        s += WriteVarint(shape.AsSpan(s), slots.Length);
        shift = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            s += WriteVarint(shape.AsSpan(s), maskedLength - (slots[i].Start + shift));
            shift += PersonalValues.ErasedJson.Length - (slots[i].End - slots[i].Start);
            commitments.Slice(i * PersonalValues.CommitmentSize, PersonalValues.CommitmentSize).CopyTo(shape.AsSpan(s));
            s += PersonalValues.CommitmentSize;
        }

        return shape;
    }

    private static int MaskedLength(ReadOnlySpan<byte> body, ReadOnlySpan<PersonalValues.Slot> slots)
    {
        var length = body.Length;
        foreach (var slot in slots)
        {
            length += PersonalValues.ErasedJson.Length - (slot.End - slot.Start);
        }

        return length;
    }

    private static byte[] Mask(ReadOnlySpan<byte> body, ReadOnlySpan<PersonalValues.Slot> slots)
    {
        var masked = new byte[MaskedLength(body, slots)];
        var m = 0;
        var at = 0;
        foreach (var slot in slots)
        {
            body[at..slot.Start].CopyTo(masked.AsSpan(m));
            m += slot.Start - at;
            PersonalValues.ErasedJson.CopyTo(masked.AsSpan(m));
            m += PersonalValues.ErasedJson.Length;
            at = slot.End;
        }

        body[at..].CopyTo(masked.AsSpan(m));
        return masked;
    }

    /// <summary>The personal values' slots in <paramref name="body"/> as <paramref name="record"/> reads them, how many, and the record's header length.</summary>
    private static (PersonalValues.Slot[] Slots, int Count, int Header) Slots(byte[] body, byte[] record)
    {
        if (!PersonalValues.TryReadRecord(record, out _, out var marked, out var entries))
        {
            throw Unfit();
        }

        var slots = new PersonalValues.Slot[marked is null ? PersonalValues.MaxSlots : PersonalValues.Capacity(body)];
        var count = PersonalValues.Find(body, marked, slots);
        return count == 0 ? throw Unfit() : (slots, count, record.Length - entries.Length);
    }

    /// <summary>The values record of an event with its values and its personal record; null when it keeps nothing (every value erased, no rendered description).</summary>
    private static byte[]? ValuesOf(byte[] body, byte[] record)
    {
        var (slots, count, header) = Slots(body, record);
        return ValuesOf(body, record, slots.AsSpan(0, count), header);
    }

    /// <inheritdoc cref="ValuesOf(byte[], byte[])"/>
    private static byte[]? ValuesOf(byte[] body, byte[] record, ReadOnlySpan<PersonalValues.Slot> slots, int header)
    {
        var count = slots.Length;
        var kind = (byte)(record[0] & ~PersonalValues.Marked);
        var entries = record.AsSpan(header);
        var values = new ArrayBufferWriter<byte>(1 + (count * (1 + PersonalValues.SaltSize + 2)) + body.Length);
        values.GetSpan(1)[0] = Version;
        values.Advance(1);
        var kept = false;
        var read = 0;
        for (var i = 0; i < count; i++)
        {
            if (!PersonalValues.TryNextEntry(kind, entries, ref read, out var salted, out var entry))
            {
                throw Unfit();
            }

            var token = body.AsSpan(slots[i].Start, slots[i].End - slots[i].Start);
            if (salted)
            {
                Tag(values, SaltedTag);
                values.Write(entry);
                WriteToken(values, token);
                kept = true;
            }
            else if (token.SequenceEqual(PersonalValues.ErasedJson))
            {
                Tag(values, ErasedTag);
            }
            else
            {
                Tag(values, RedactedTag);
                WriteToken(values, token);
                kept = true;
            }
        }

        return read != entries.Length ? throw Unfit() : kept ? values.WrittenSpan.ToArray() : null;
    }

    /// <summary>
    /// The body and personal record of a split event, as <see cref="PersonalValues"/> stored them beside each other:
    /// the masked body with each mark replaced by its value (salted), left <c>[erased]</c> or the redacted description,
    /// and the record of salts, commitments (from the shape), or both (<see cref="PersonalValues.Partly"/>).
    /// <paramref name="values"/> null: every value erased.
    /// </summary>
    public static (byte[] Body, byte[] Record) Join(byte[] masked, byte[] shape, byte[]? values)
    {
        if (values is { Length: 0 })
        {
            throw new InvalidDataException("not a values record");
        }

        var joined = new byte[JoinedCapacity(masked, shape, values)];
        var (bodyLength, recordLength) = Join(masked, shape, values, joined);
        return (joined[..bodyLength], joined[bodyLength..(bodyLength + recordLength)]);
    }

    /// <summary>Room enough for what <see cref="Join(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> writes.</summary>
    public static int JoinedCapacity(ReadOnlySpan<byte> masked, ReadOnlySpan<byte> shape, ReadOnlySpan<byte> values) =>
        // Each value's token comes from the values record or stays a mark; the record holds the shape's header and per value a tag and a salt or commitment.
        masked.Length + values.Length + (2 * shape.Length);

    /// <summary>
    /// <see cref="Join(byte[], byte[], byte[])"/> without an array: writes the body and then the personal record into
    /// <paramref name="destination"/> (at least <see cref="JoinedCapacity"/> bytes) and answers their lengths.
    /// <paramref name="values"/> empty: there is no values record (every value erased).
    /// </summary>
    public static (int BodyLength, int RecordLength) Join(ReadOnlySpan<byte> masked, ReadOnlySpan<byte> shape, ReadOnlySpan<byte> values, Span<byte> destination)
    {
        if (!IsShape(shape))
        {
            throw new InvalidDataException("not a shape of a split event");
        }

        var at = 1;
        if ((shape[0] & PersonalValues.Marked) != 0)
        {
            var pathsLength = PersonalPaths.TryRead(shape[1..], out _);
            if (pathsLength < 0)
            {
                throw new InvalidDataException("the shape's marked paths cannot be read");
            }

            at += pathsLength;
        }

        var header = at;
        var count = ReadVarint(shape, ref at);
        if (count > shape.Length / PersonalValues.CommitmentSize)
        {
            throw new InvalidDataException("the shape does not fit the body");
        }

        Span<int> starts = count <= 16 ? stackalloc int[count] : new int[count];
        Span<int> commitments = count <= 16 ? stackalloc int[count] : new int[count];
        var mark = PersonalValues.ErasedJson.Length;
        for (var i = 0; i < count; i++)
        {
            starts[i] = masked.Length - ReadVarint(shape, ref at);
            commitments[i] = at;
            at += PersonalValues.CommitmentSize;
            if (starts[i] < 0 || starts[i] + mark > masked.Length || (i > 0 && starts[i] < starts[i - 1] + mark)
                || !masked.Slice(starts[i], mark).SequenceEqual(PersonalValues.ErasedJson) || at > shape.Length)
            {
                throw new InvalidDataException("the shape does not fit the body");
            }
        }

        if (at != shape.Length)
        {
            throw new InvalidDataException("the shape has bytes after its last value");
        }

        Span<Entry> entries = count <= 16 ? stackalloc Entry[count] : new Entry[count];
        var salted = 0;
        if (!values.IsEmpty)
        {
            var v = 0;
            if (values[v++] != Version)
            {
                throw new InvalidDataException("not a values record");
            }

            for (var i = 0; i < count; i++)
            {
                var tag = v < values.Length ? values[v++] : (byte)0;
                switch (tag)
                {
                    case SaltedTag:
                        var salt = v;
                        v += PersonalValues.SaltSize;
                        var length = ReadVarint(values, ref v);
                        entries[i] = new Entry(tag, salt, v, length);
                        v += length;
                        salted++;
                        break;
                    case RedactedTag:
                        var redacted = ReadVarint(values, ref v);
                        entries[i] = new Entry(tag, 0, v, redacted);
                        v += redacted;
                        break;
                    case ErasedTag:
                        entries[i] = new Entry(tag, 0, 0, 0);
                        break;
                    default:
                        throw new InvalidDataException("the values record has fewer values than the shape");
                }

                if (v > values.Length)
                {
                    throw new InvalidDataException("the values record is cut short");
                }
            }

            if (v != values.Length)
            {
                throw new InvalidDataException("the values record has more values than the shape");
            }
        }
        else
        {
            entries.Fill(new Entry(ErasedTag, 0, 0, 0));
        }

        if (destination.Length < JoinedCapacity(masked, shape, values))
        {
            throw new ArgumentException("too small for the joined body and record", nameof(destination));
        }

        // The body first, from the masked body with each mark replaced.
        var b = 0;
        var from = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = entries[i];
            masked[from..starts[i]].CopyTo(destination[b..]);
            b += starts[i] - from;
            var token = entry.Tag == ErasedTag ? PersonalValues.ErasedJson : values.Slice(entry.Token, entry.TokenLength);
            token.CopyTo(destination[b..]);
            b += token.Length;
            from = starts[i] + mark;
        }

        masked[from..].CopyTo(destination[b..]);
        b += masked.Length - from;

        // Then the record: the shape's header (kind and marked paths), then per value its salt or its commitment.
        var kind = salted == count ? PersonalValues.Salted : salted == 0 ? PersonalValues.Committed : PersonalValues.Partly;
        var record = destination[b..];
        shape[..header].CopyTo(record);
        record[0] = (byte)(kind | (shape[0] & PersonalValues.Marked));
        var r = header;
        for (var i = 0; i < count; i++)
        {
            var entry = entries[i];
            if (kind == PersonalValues.Partly)
            {
                record[r++] = entry.Tag == SaltedTag ? PersonalValues.Salted : PersonalValues.Committed;
            }

            var kept = entry.Tag == SaltedTag ? values.Slice(entry.Salt, PersonalValues.SaltSize) : shape.Slice(commitments[i], PersonalValues.CommitmentSize);
            kept.CopyTo(record[r..]);
            r += kept.Length;
        }

        return (b, r);
    }

    /// <summary>One value of a values record: its tag, where its salt is, and where its JSON token is and how long.</summary>
    private readonly record struct Entry(byte Tag, int Salt, int Token, int TokenLength);

    /// <summary>
    /// Erases a split event's values: all of them (<paramref name="emails"/> null) or only the catalog-marked values
    /// holding one of <paramref name="emails"/> (<see cref="PersonalValues.EraseEmails"/>). Null when nothing changes;
    /// a result whose <see cref="SplitErasure.Values"/> is null means the side row goes. The row (masked body and
    /// shape with the commitments) does not change.
    /// </summary>
    public static SplitErasure? Erase(byte[] masked, byte[] shape, byte[]? values, IReadOnlySet<string>? emails)
    {
        var (body, record) = Join(masked, shape, values);
        var erased = emails is null
            ? PersonalValues.IsCommitted(record) ? ((byte[] Body, byte[] Record)?)null : PersonalValues.Erase(body, record)
            : PersonalValues.EraseEmails(body, record, emails);
        if (erased is not { } after)
        {
            return null;
        }

        var keys = Keys(after.Body, after.Record);
        return new SplitErasure(ValuesOf(after.Body, after.Record), keys.PersonalText, keys.ActorEmail, keys.Ip,
            PersonalValues.MarkedEmails(after.Body, after.Record), PersonalValues.MarkedEmails(body, record));
    }

    /// <summary>
    /// The keys a split event's rows hold (<see cref="SplitKeys"/>), derived from its body and personal record as
    /// <see cref="Join(byte[], byte[], byte[])"/> gives them: what a verifier compares with the stored columns.
    /// </summary>
    public static SplitKeys Keys(byte[] body, byte[] record, AuditEvent? shown = null)
    {
        shown ??= CanonicalEvent.Read(body);
        var email = shown.Actor.Email is { } e and not PersonalValues.Erased ? EventIndexKeys.IndexText(e.ToLowerInvariant()) : null;
        var ip = shown.Context?.Ip is { } address and not PersonalValues.Erased ? IpRange.Key(IPAddress.Parse(address)) : null;
        if (PersonalValues.MarkedPaths(record) is null)
        {
            // Only the built-in values are personal: the public text is the search text without them.
            var personal = new System.Text.StringBuilder(64);
            foreach (var value in (ReadOnlySpan<string?>)[shown.Actor.Name, shown.Actor.Email, shown.Context?.Ip, shown.Context?.Location?.Country, shown.Context?.Location?.City])
            {
                if (!string.IsNullOrEmpty(value) && value != PersonalValues.Erased)
                {
                    personal.Append(value).Append('\n');
                }
            }

            return new SplitKeys(EventIndexKeys.SearchTextOf(shown, withBuiltInPersonal: false), EventIndexKeys.IndexText(personal.ToString().ToLowerInvariant()), email, ip);
        }

        // Marked paths and rendered descriptions: the public text is that of the event with every value erased (its
        // [erased] lines left out), the personal text the shown lines the public text does not account for.
        var erasedBody = PersonalValues.IsCommitted(record) ? body : PersonalValues.Erase(body, record).Body;
        var publicLines = Lines(EventIndexKeys.SearchTextOf(CanonicalEvent.Read(erasedBody), withBuiltInPersonal: true));
        publicLines.RemoveAll(line => line == PersonalValues.Erased);
        var left = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in publicLines)
        {
            left[line] = left.GetValueOrDefault(line) + 1;
        }

        var personalLines = new List<string>();
        foreach (var line in Lines(EventIndexKeys.SearchTextOf(shown, withBuiltInPersonal: true)))
        {
            if (line == PersonalValues.Erased)
            {
                continue;
            }

            if (left.TryGetValue(line, out var n) && n > 0)
            {
                left[line] = n - 1;
                continue;
            }

            personalLines.Add(line);
        }

        return new SplitKeys(Text(publicLines), Text(personalLines), email, ip);
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static string Text(List<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";

    private static void Tag(ArrayBufferWriter<byte> output, byte tag)
    {
        output.GetSpan(1)[0] = tag;
        output.Advance(1);
    }

    private static void WriteToken(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> token)
    {
        WriteVarint(output, token.Length);
        output.Write(token);
    }

    private static void WriteVarint(ArrayBufferWriter<byte> output, int value) => output.Advance(WriteVarint(output.GetSpan(5), value));

    private static int WriteVarint(Span<byte> output, int value)
    {
        var n = 0;
        var v = (uint)value;
        while (v >= 0x80)
        {
            output[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        output[n++] = (byte)v;
        return n;
    }

    private static int VarintLength(int value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;

    private static int ReadVarint(ReadOnlySpan<byte> input, ref int at)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (at >= input.Length)
            {
                throw new InvalidDataException("a split record is cut short");
            }

            var b = input[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value <= int.MaxValue ? (int)value : throw new InvalidDataException("a split record holds a length out of range");
            }
        }

        throw new InvalidDataException("a split record holds a length out of range");
    }

    private static InvalidDataException Unfit() => new("the personal record does not fit the event's personal values");
}

/// <summary>
/// A split event (<see cref="PersonalSplit.Split"/>): the <paramref name="Shape"/> its row keeps in the personal
/// column, the <paramref name="Values"/> record of its side row (null: nothing to keep), and the keys: the
/// <paramref name="PublicText"/> the row's search text holds, the <paramref name="PersonalText"/>, actor email and IP the side row holds.
/// </summary>
public sealed record SplitEvent(byte[] Shape, byte[]? Values, string PublicText, string PersonalText, string? ActorEmail, byte[]? Ip);

/// <summary>
/// A split event's side row after an erasure (<see cref="PersonalSplit.Erase"/>): its new values record (null: delete
/// the row) and keys, and the emails its marked values hold after and before, for the store's index of marked emails.
/// </summary>
public sealed record SplitErasure(byte[]? Values, string PersonalText, string? ActorEmail, byte[]? Ip, string[]? MarkedEmails, string[]? MarkedEmailsBefore);

/// <summary>The keys of a split event's rows (<see cref="PersonalSplit.Keys"/>).</summary>
public sealed record SplitKeys(string PublicText, string PersonalText, string? ActorEmail, byte[]? Ip);
