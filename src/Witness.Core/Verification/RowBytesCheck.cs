using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// The verifier's check of one stored row on its bytes, without building the event: one pass over the
/// canonical body (as <see cref="CanonicalEvent.ReadWithoutFreeForm"/> reads it) collects the fields the
/// index columns come from, and what <see cref="EventIndexKeys.From"/> would derive from them is
/// compared with the stored columns byte for byte. It only ever answers "everything matches": on any
/// difference, and for bodies outside the common form it reads (escaped text, metadata names that are
/// not ASCII, a time not in Witness's one format, more than <see cref="MaxTargets"/> targets or
/// <see cref="MaxMetadataValues"/> metadata values), it answers false and the full check decides and
/// names the problem.
/// </summary>
internal static class RowBytesCheck
{
    public const int MaxTargets = 16;
    public const int MaxMetadataValues = 32;

    [ThreadStatic]
    private static byte[]? t_text;

    /// <summary>
    /// True when the row is <paramref name="tenant"/>'s event at its position and every index column is
    /// what its body says; <paramref name="targetDigest"/> is then the sum of
    /// <see cref="IndexChecks.TargetDigest(long, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> over the event's distinct targets.
    /// </summary>
    public static bool Matches(LogRowBlock block, int row, ReadOnlySpan<byte> tenant, out ulong targetDigest)
    {
        targetDigest = 0;
        var body = block.Cell(row, LogColumn.Body);
        var seq = block.Position(row);
        if (block.SeqColumn(row) != seq || !block.TenantMatches(row) || !Utf8.IsValid(body))
        {
            return false;
        }

        Span<Field> targets = stackalloc Field[MaxTargets * 3];
        Span<Field> metadata = stackalloc Field[MaxMetadataValues];
        Fields f;
        try
        {
            if (!Read(body, targets, metadata, out f))
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (f.Seq != seq
            || !Text(body, f.Tenant).SequenceEqual(tenant)
            || !Same(block, row, LogColumn.Id, body, f.Id)
            || !Same(block, row, LogColumn.Type, body, f.Type)
            || !Same(block, row, LogColumn.Action, body, f.Action)
            || !Same(block, row, LogColumn.Category, body, f.Category)
            || !Same(block, row, LogColumn.Outcome, body, f.Outcome)
            || !Same(block, row, LogColumn.ActorId, body, f.ActorId)
            || !TryMicros(Text(body, f.OccurredAt), out var occurred) || occurred != block.OccurredAtMicros(row)
            || !TryMicros(Text(body, f.ReceivedAt), out var received) || received != block.ReceivedAtMicros(row)
            || !SameIp(block, row, body, f.Ip))
        {
            return false;
        }

        // A split row (values kept beside it) holds its free text in two parts; this pass knows how an event whose only
        // personal values are the built-in ones divides it (PersonalSplit.Keys), and leaves marked paths to the full check.
        var split = !block.IsNull(row, LogColumn.PersonalText);
        if (split && block.Cell(row, LogColumn.Personal) is var record && (record.IsEmpty || (record[0] & PersonalValues.Marked) != 0))
        {
            return false;
        }

        var text = t_text ??= new byte[4096];
        if (Erased(body, f.ActorEmail))
        {
            if (!block.IsNull(row, LogColumn.ActorEmail))
            {
                return false;
            }
        }
        else if (f.ActorEmail.IsPresent)
        {
            var email = 0;
            Append(ref text, ref email, body, f.ActorEmail);
            if (block.IsNull(row, LogColumn.ActorEmail) || !TryLowerInPlace(ref text, Math.Max(email - 1, 0), out var lowered)
                || !text.AsSpan(0, lowered).SequenceEqual(block.Cell(row, LogColumn.ActorEmail)))
            {
                return false;
            }
        }
        else if (!block.IsNull(row, LogColumn.ActorEmail))
        {
            return false;
        }

        // The search text, in EventIndexKeys.From's order: each non-empty value and a line feed, lower-cased. A split
        // row's public part leaves the built-in personal values out; they follow as its personal part, erased ones left out.
        var length = 0;
        Append(ref text, ref length, body, f.Description);
        Append(ref text, ref length, body, f.Action);
        Append(ref text, ref length, body, f.Category);
        if (!split)
        {
            Append(ref text, ref length, body, f.ActorName);
            Append(ref text, ref length, body, f.ActorEmail);
        }

        Append(ref text, ref length, body, f.ActorId);
        for (var i = 0; i < f.Targets; i++)
        {
            Append(ref text, ref length, body, targets[(i * 3) + 2]);
            Append(ref text, ref length, body, targets[(i * 3) + 1]);
        }

        Append(ref text, ref length, body, f.Reason);
        if (!split)
        {
            Append(ref text, ref length, body, f.Ip);
            Append(ref text, ref length, body, f.Country);
            Append(ref text, ref length, body, f.City);
        }

        if (Text(body, f.Type).SequenceEqual("webhook_failure"u8) || Text(body, f.Type).SequenceEqual("integration_failure"u8))
        {
            // Failure logs' search text also holds their metadata's string and number values, by member name.
            for (var i = 0; i < f.MetadataValues; i++)
            {
                Append(ref text, ref length, body, metadata[i]);
            }
        }
        if (block.IsNull(row, LogColumn.SearchText) || !TryLowerInPlace(ref text, length, out var searchText)
            || !text.AsSpan(0, searchText).SequenceEqual(block.Cell(row, LogColumn.SearchText)))
        {
            return false;
        }

        if (split)
        {
            var personal = 0;
            foreach (var value in (ReadOnlySpan<Field>)[f.ActorName, f.ActorEmail, f.Ip, f.Country, f.City])
            {
                if (!Erased(body, value))
                {
                    Append(ref text, ref personal, body, value);
                }
            }

            if (!TryLowerInPlace(ref text, personal, out var personalText) || !text.AsSpan(0, personalText).SequenceEqual(block.Cell(row, LogColumn.PersonalText)))
            {
                return false;
            }
        }

        for (var i = 0; i < f.Targets; i++)
        {
            var targetType = Text(body, targets[i * 3]);
            var targetId = Text(body, targets[(i * 3) + 1]);
            var repeated = false;
            for (var j = 0; j < i && !repeated; j++)
            {
                repeated = Text(body, targets[j * 3]).SequenceEqual(targetType) && Text(body, targets[(j * 3) + 1]).SequenceEqual(targetId);
            }

            if (!repeated)
            {
                targetDigest += IndexChecks.TargetDigest(seq, targetType, targetId);
            }
        }

        return block.IdIndexed(row)
            && (block.ClientOmitted(row) is not { } omitted || ContentDigestMatches(body, f, omitted, block.Cell(row, LogColumn.ContentDigest)));
    }

    [ThreadStatic]
    private static byte[]? t_sent;

    /// <summary>UTF-8 of the time <see cref="CanonicalEvent.ContentDigest"/> writes for an open received_at or an omitted occurred_at.</summary>
    private static readonly byte[] OpenTime = OpenTimeUtf8();

    private static byte[] OpenTimeUtf8()
    {
        Span<byte> text = stackalloc byte[Rfc3339.MaxFormattedLength];
        return text[..Rfc3339.FormatUtf8(default, TimeForm.Trimmed, text)].ToArray();
    }

    private enum Replacement
    {
        Nothing,
        Zero,
        OpenTime,
        Activity,
    }

    private readonly record struct Edit(int Start, int End, Replacement With);

    /// <summary>
    /// Whether <paramref name="stored"/> is the digest of what the client sent (<see cref="ClientContent.Digest"/>),
    /// made by editing the canonical body in place of writing the event again: seq to 0, received_at (and an
    /// omitted occurred_at) to the open time, a given occurred_at to its trimmed form (the digest's, whatever
    /// the body's: <see cref="TimeForm.Trimmed"/>), an omitted type to <c>activity</c>, an omitted category and
    /// description removed. False when the body is not laid out as expected; the full check then decides.
    /// </summary>
    private static bool ContentDigestMatches(ReadOnlySpan<byte> body, in Fields f, ClientOmitted omitted, ReadOnlySpan<byte> stored)
    {
        if (stored.Length != MerkleHash.Size)
        {
            return false;
        }

        Span<Edit> edits = stackalloc Edit[6];
        var count = 0;
        edits[count++] = new Edit(f.SeqStart, f.SeqStart + f.SeqLength, Replacement.Zero);
        edits[count++] = new Edit(f.ReceivedAt.Start, f.ReceivedAt.Start + f.ReceivedAt.Length, Replacement.OpenTime);
        if (omitted.HasFlag(ClientOmitted.OccurredAt))
        {
            edits[count++] = new Edit(f.OccurredAt.Start, f.OccurredAt.Start + f.OccurredAt.Length, Replacement.OpenTime);
        }
        else if (Rfc3339.TrimmedLength(Text(body, f.OccurredAt)) is var trimmed && trimmed < f.OccurredAt.Length)
        {
            // The fraction's trailing zeros (and a point left alone) go; the Z stays.
            edits[count++] = new Edit(f.OccurredAt.Start + trimmed - 1, f.OccurredAt.Start + f.OccurredAt.Length - 1, Replacement.Nothing);
        }

        if (omitted.HasFlag(ClientOmitted.Type))
        {
            edits[count++] = new Edit(f.Type.Start, f.Type.Start + f.Type.Length, Replacement.Activity);
        }

        if (omitted.HasFlag(ClientOmitted.Category) && f.Category.IsPresent)
        {
            if (!Member(body, f.Category, "category"u8, out edits[count++]))
            {
                return false;
            }
        }

        if (omitted.HasFlag(ClientOmitted.Description) && f.Description.IsPresent)
        {
            if (!Member(body, f.Description, "description"u8, out edits[count++]))
            {
                return false;
            }
        }

        var sent = t_sent is { } buffer && buffer.Length >= body.Length + 64 ? buffer : t_sent = new byte[Math.Max(body.Length * 2, 4096)];
        var length = 0;
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var edit = edits[i];
            if (edit.Start < at || edit.End < edit.Start)
            {
                return false;
            }

            body[at..edit.Start].CopyTo(sent.AsSpan(length));
            length += edit.Start - at;
            var with = edit.With switch
            {
                Replacement.Zero => "0"u8,
                Replacement.OpenTime => OpenTime,
                Replacement.Activity => "activity"u8,
                _ => default,
            };
            with.CopyTo(sent.AsSpan(length));
            length += with.Length;
            at = edit.End;
        }

        body[at..].CopyTo(sent.AsSpan(length));
        length += body.Length - at;
        Span<byte> digest = stackalloc byte[MerkleHash.Size];
        Sha256.Hash(sent.AsSpan(0, length), digest);
        return digest.SequenceEqual(stored);
    }

    /// <summary>The whole member <c>,"name":"value"</c> of a string field, to be removed; false when the bytes around the value are not that.</summary>
    private static bool Member(ReadOnlySpan<byte> body, Field value, ReadOnlySpan<byte> name, out Edit edit)
    {
        // ,"name":"value"  — the comma lies name.Length + 5 bytes before the value.
        var start = value.Start - name.Length - 5;
        edit = new Edit(start, value.Start + value.Length + 1, Replacement.Nothing);
        return start > 0 && value.Start + value.Length < body.Length
            && body[start] == (byte)',' && body[start + 1] == (byte)'"' && body.Slice(start + 2, name.Length).SequenceEqual(name)
            && body[start + 2 + name.Length] == (byte)'"' && body[start + 3 + name.Length] == (byte)':' && body[start + 4 + name.Length] == (byte)'"'
            && body[value.Start + value.Length] == (byte)'"';
    }

    /// <summary>Parses the one time format Witness writes (<c>yyyy-MM-ddTHH:mm:ss[.ffffff]Z</c>, 1 to 6 fraction digits) to microseconds since the Unix epoch; false for anything else.</summary>
    internal static bool TryMicros(ReadOnlySpan<byte> s, out long micros)
    {
        micros = 0;
        if (s.Length < 20 || s.Length == 21 || s.Length > 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[^1] != 'Z'
            || (s.Length > 20 && s[19] != '.'))
        {
            return false;
        }

        if (!Digits(s[..4], out var year) || !Digits(s[5..7], out var month) || !Digits(s[8..10], out var day)
            || !Digits(s[11..13], out var hour) || !Digits(s[14..16], out var minute) || !Digits(s[17..19], out var second))
        {
            return false;
        }

        var fraction = 0;
        if (s.Length > 20)
        {
            var digits = s[20..^1];
            if (!Digits(digits, out fraction))
            {
                return false;
            }

            for (var i = digits.Length; i < 6; i++)
            {
                fraction *= 10;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks;
        micros = (ticks / 10) + fraction;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>Where a string value lies in the body; <see cref="IsPresent"/> is false when the member is absent or null.</summary>
    private readonly record struct Field(int Start, int Length)
    {
        public static readonly Field Absent = new(0, -1);

        public bool IsPresent => Length >= 0;
    }

    private struct Fields
    {
        public long Seq;
        public int SeqStart, SeqLength;
        public bool HasSeq, HasActor, HasTargets;
        public Field Id, Tenant, ReceivedAt, OccurredAt, Type, Action, Category, Outcome, Reason, Description;
        public Field ActorType, ActorId, ActorName, ActorEmail, Ip, Country, City;
        public int Targets;
        public int MetadataValues;
    }

    private static ReadOnlySpan<byte> Text(ReadOnlySpan<byte> body, Field field) => field.IsPresent ? body.Slice(field.Start, field.Length) : default;

    /// <summary>Whether a text column holds exactly the field (NULL when the field is absent).</summary>
    private static bool Same(LogRowBlock block, int row, LogColumn column, ReadOnlySpan<byte> body, Field field) =>
        field.IsPresent ? !block.IsNull(row, column) && block.Cell(row, column).SequenceEqual(Text(body, field)) : block.IsNull(row, column);

    /// <summary>Whether a field holds the erased mark, <c>[erased]</c>: its index column is then NULL and its line is no personal text.</summary>
    private static bool Erased(ReadOnlySpan<byte> body, Field field) => field.IsPresent && Text(body, field).SequenceEqual("[erased]"u8);

    private static bool SameIp(LogRowBlock block, int row, ReadOnlySpan<byte> body, Field ip)
    {
        if (!ip.IsPresent || Erased(body, ip))
        {
            return block.IsNull(row, LogColumn.Ip);
        }

        if (block.IsNull(row, LogColumn.Ip) || !IPAddress.TryParse(Text(body, ip), out var address))
        {
            return false;
        }

        // IpRange.Key without its arrays: IPv6 as is, IPv4 mapped (::ffff:a.b.c.d).
        Span<byte> key = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            key[..10].Clear();
            key[10] = key[11] = 0xFF;
            return address.TryWriteBytes(key[12..], out _) && key.SequenceEqual(block.Cell(row, LogColumn.Ip));
        }

        return address.TryWriteBytes(key, out var written) && written == 16 && key.SequenceEqual(block.Cell(row, LogColumn.Ip));
    }

    private static void Append(ref byte[] text, ref int length, ReadOnlySpan<byte> body, Field field)
    {
        if (!field.IsPresent || field.Length == 0)
        {
            return;
        }

        if (length + field.Length + 1 > text.Length)
        {
            Array.Resize(ref text, Math.Max(text.Length * 2, length + field.Length + 1));
        }

        Text(body, field).CopyTo(text.AsSpan(length));
        length += field.Length;
        text[length++] = (byte)'\n';
    }

    /// <summary>Replaces the first <paramref name="length"/> UTF-8 bytes of <paramref name="text"/> with their <c>ToLowerInvariant</c>.</summary>
    private static bool TryLowerInPlace(ref byte[] text, int length, out int written)
    {
        if (Ascii.IsValid(text.AsSpan(0, length)))
        {
            return Ascii.ToLowerInPlace(text.AsSpan(0, length), out written) == OperationStatus.Done;
        }

        // Beyond ASCII: through UTF-16, as string.ToLowerInvariant does it.
        var chars = ArrayPool<char>.Shared.Rent(length);
        var lower = ArrayPool<char>.Shared.Rent(length);
        try
        {
            written = 0;
            if (Utf8.ToUtf16(text.AsSpan(0, length), chars, out _, out var count, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                return false;
            }

            var lowered = chars.AsSpan(0, count).ToLowerInvariant(lower);
            var size = Encoding.UTF8.GetByteCount(lower.AsSpan(0, lowered));
            if (size > text.Length)
            {
                Array.Resize(ref text, size);
            }

            written = Encoding.UTF8.GetBytes(lower.AsSpan(0, lowered), text);
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<char>.Shared.Return(lower);
        }
    }

    /// <summary>
    /// Collects the fields as <c>CanonicalEventReader</c> reads them (the last of a repeated member wins,
    /// unknown members are skipped); false for what this pass leaves to the full check.
    /// </summary>
    private static bool Read(ReadOnlySpan<byte> body, Span<Field> targets, Span<Field> metadata, out Fields f)
    {
        f = default;
        f.Id = f.Tenant = f.ReceivedAt = f.OccurredAt = f.Type = f.Action = f.Category = f.Outcome = f.Reason = f.Description = Field.Absent;
        f.ActorType = f.ActorId = f.ActorName = f.ActorEmail = f.Ip = f.Country = f.City = Field.Absent;
        var r = new Utf8JsonReader(body);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            r.Read();
            var ok = Member(name) switch
            {
                Top.Id => String(ref r, out f.Id),
                Top.Tenant => String(ref r, out f.Tenant),
                Top.Seq => f.HasSeq = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out f.Seq) && Position(ref r, out f.SeqStart, out f.SeqLength),
                Top.ReceivedAt => String(ref r, out f.ReceivedAt),
                Top.OccurredAt => String(ref r, out f.OccurredAt),
                Top.Type => String(ref r, out f.Type),
                Top.Action => String(ref r, out f.Action),
                Top.Category => String(ref r, out f.Category),
                Top.Metadata => ReadMetadata(ref r, metadata, ref f),
                Top.Actor => ReadActor(ref r, ref f),
                Top.Targets => ReadTargets(ref r, targets, ref f),
                Top.Outcome => String(ref r, out f.Outcome),
                Top.Reason => String(ref r, out f.Reason),
                Top.Context => ReadContext(ref r, ref f),
                Top.Description => String(ref r, out f.Description),
                _ => Skip(ref r),
            };
            if (!ok)
            {
                return false;
            }
        }

        return r.TokenType == JsonTokenType.EndObject
            && f.HasSeq && f.HasActor && f.HasTargets && f.Id.IsPresent && f.Tenant.IsPresent && f.ReceivedAt.IsPresent && f.OccurredAt.IsPresent
            && f.Type.IsPresent && f.Action.IsPresent && f.Outcome.IsPresent && f.ActorType.IsPresent;
    }

    private enum Top
    {
        Other,
        Id,
        Tenant,
        Seq,
        ReceivedAt,
        OccurredAt,
        Type,
        Action,
        Category,
        Actor,
        Targets,
        Outcome,
        Reason,
        Context,
        Description,
        Metadata,
    }

    /// <summary>Which top-level member a name is: told apart by length and first byte, then confirmed whole (one comparison per member).</summary>
    private static Top Member(ReadOnlySpan<byte> name)
    {
        var candidate = name.Length switch
        {
            2 => Top.Id,
            3 => Top.Seq,
            4 => Top.Type,
            5 => Top.Actor,
            6 => name[0] switch { (byte)'t' => Top.Tenant, (byte)'a' => Top.Action, _ => Top.Reason },
            7 => name[0] switch { (byte)'t' => Top.Targets, (byte)'o' => Top.Outcome, _ => Top.Context },
            8 => name[0] == (byte)'m' ? Top.Metadata : Top.Category,
            11 => name[0] switch { (byte)'r' => Top.ReceivedAt, (byte)'o' => Top.OccurredAt, _ => Top.Description },
            _ => Top.Other,
        };
        return candidate != Top.Other && name.SequenceEqual(Name(candidate)) ? candidate : Top.Other;
    }

    private static ReadOnlySpan<byte> Name(Top member) => member switch
    {
        Top.Id => "id"u8,
        Top.Tenant => "tenant"u8,
        Top.Seq => "seq"u8,
        Top.ReceivedAt => "received_at"u8,
        Top.OccurredAt => "occurred_at"u8,
        Top.Type => "type"u8,
        Top.Action => "action"u8,
        Top.Category => "category"u8,
        Top.Metadata => "metadata"u8,
        Top.Actor => "actor"u8,
        Top.Targets => "targets"u8,
        Top.Outcome => "outcome"u8,
        Top.Reason => "reason"u8,
        Top.Context => "context"u8,
        _ => "description"u8,
    };

    /// <summary>
    /// The string and number values of the metadata object's members in name order, as
    /// <c>EventIndexKeys.From</c> takes them for failure logs (other values have no text); false when a
    /// name is escaped or not ASCII, or names are not in strictly rising order (the canonical body sorts
    /// them; then byte order is the ordinal order the full check sorts by).
    /// </summary>
    private static bool ReadMetadata(ref Utf8JsonReader r, Span<Field> values, ref Fields f)
    {
        f.MetadataValues = 0;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            // Not an object: no text, as in the full check.
            r.Skip();
            return true;
        }

        ReadOnlySpan<byte> previous = default;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            if (r.ValueIsEscaped || !Ascii.IsValid(name) || (f.MetadataValues + 1 > values.Length)
                || (!previous.IsEmpty && name.SequenceCompareTo(previous) <= 0) || name.IsEmpty)
            {
                return false;
            }

            previous = name;
            r.Read();
            if (r.TokenType == JsonTokenType.String)
            {
                if (r.ValueIsEscaped)
                {
                    return false;
                }

                values[f.MetadataValues++] = new Field((int)r.TokenStartIndex + 1, r.ValueSpan.Length);
            }
            else if (r.TokenType == JsonTokenType.Number)
            {
                values[f.MetadataValues++] = new Field((int)r.TokenStartIndex, r.ValueSpan.Length);
            }
            else
            {
                r.Skip();
            }
        }

        return r.TokenType == JsonTokenType.EndObject;
    }

    private static bool ReadActor(ref Utf8JsonReader r, ref Fields f)
    {
        f.ActorType = f.ActorId = f.ActorName = f.ActorEmail = Field.Absent;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            r.Read();
            var ok = name.SequenceEqual("type"u8) ? String(ref r, out f.ActorType)
                : name.SequenceEqual("id"u8) ? String(ref r, out f.ActorId)
                : name.SequenceEqual("name"u8) ? String(ref r, out f.ActorName)
                : name.SequenceEqual("email"u8) ? String(ref r, out f.ActorEmail)
                : name.SequenceEqual("role"u8) ? String(ref r, out _)
                : Skip(ref r);
            if (!ok)
            {
                return false;
            }
        }

        return f.HasActor = r.TokenType == JsonTokenType.EndObject;
    }

    private static bool ReadTargets(ref Utf8JsonReader r, Span<Field> targets, ref Fields f)
    {
        f.Targets = 0;
        if (r.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        while (Next(ref r) == JsonTokenType.StartObject)
        {
            if (f.Targets == MaxTargets)
            {
                return false;
            }

            Field type = Field.Absent, id = Field.Absent, name = Field.Absent;
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                var property = r.ValueSpan;
                r.Read();
                var ok = property.SequenceEqual("type"u8) ? String(ref r, out type)
                    : property.SequenceEqual("id"u8) ? String(ref r, out id)
                    : property.SequenceEqual("name"u8) ? String(ref r, out name)
                    : property.SequenceEqual("url"u8) ? String(ref r, out _)
                    : Skip(ref r);
                if (!ok)
                {
                    return false;
                }
            }

            if (r.TokenType != JsonTokenType.EndObject || !type.IsPresent || !id.IsPresent)
            {
                return false;
            }

            targets[f.Targets * 3] = type;
            targets[(f.Targets * 3) + 1] = id;
            targets[(f.Targets * 3) + 2] = name;
            f.Targets++;
        }

        return f.HasTargets = r.TokenType == JsonTokenType.EndArray;
    }

    private static bool ReadContext(ref Utf8JsonReader r, ref Fields f)
    {
        f.Ip = f.Country = f.City = Field.Absent;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            r.Read();
            var ok = name.SequenceEqual("ip"u8) ? String(ref r, out f.Ip)
                : name.SequenceEqual("user_agent"u8) || name.SequenceEqual("source"u8) || name.SequenceEqual("brand"u8)
                    || name.SequenceEqual("session_id"u8) || name.SequenceEqual("request_id"u8) ? String(ref r, out _)
                : name.SequenceEqual("location"u8) ? ReadLocation(ref r, ref f)
                : Skip(ref r);
            if (!ok)
            {
                return false;
            }
        }

        return r.TokenType == JsonTokenType.EndObject;
    }

    private static bool ReadLocation(ref Utf8JsonReader r, ref Fields f)
    {
        f.Country = f.City = Field.Absent;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            r.Read();
            var ok = name.SequenceEqual("country"u8) ? String(ref r, out f.Country)
                : name.SequenceEqual("city"u8) ? String(ref r, out f.City)
                : Skip(ref r);
            if (!ok)
            {
                return false;
            }
        }

        return r.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>A string member (null reads as absent, as <c>GetString</c> gives it); false when it is anything else or escaped.</summary>
    private static bool String(ref Utf8JsonReader r, out Field field)
    {
        field = Field.Absent;
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.String || r.ValueIsEscaped)
        {
            return false;
        }

        field = new Field((int)r.TokenStartIndex + 1, r.ValueSpan.Length);
        return true;
    }

    private static bool Position(ref Utf8JsonReader r, out int start, out int length)
    {
        start = (int)r.TokenStartIndex;
        length = r.ValueSpan.Length;
        return true;
    }

    private static bool Skip(ref Utf8JsonReader r)
    {
        r.Skip();
        return true;
    }

    private static JsonTokenType Next(ref Utf8JsonReader r) =>
        r.Read() ? r.TokenType : throw new JsonException("the event ends early");
}
