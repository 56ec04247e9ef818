using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Witness.Integrity;

namespace Witness.Events;

/// <summary>
/// Leaf version 2 (docs/erasure.md): the personal values of an event (<c>actor.name</c>,
/// <c>actor.email</c>, <c>context.ip</c>, <c>context.user_agent</c>, <c>context.location.country</c>,
/// <c>context.location.city</c>) enter the hashed leaf as salted commitments
/// <c>SHA-256(salt ‖ UTF-8 value)</c>, while the stored body keeps the values for reading. What is
/// kept off the leaf, per event, is its <em>personal record</em>: <see cref="Salted"/> followed by one
/// 16-byte salt per personal value present in the body (in body order), or, once the values are
/// erased, <see cref="Committed"/> followed by their 32-byte commitments.
/// <para>
/// The leaf bytes are the body with each personal string value replaced by
/// <c>{"sha256":"&lt;hex commitment&gt;"}</c>, an object where version 1 only has strings. An event
/// without a personal record (stored before version 2, or with no personal value) has the body as its
/// leaf, exactly as in version 1.
/// </para>
/// </summary>
public static class PersonalValues
{
    /// <summary>What an erased personal value reads as in the body, the API, the console and every export.</summary>
    public const string Erased = "[erased]";

    /// <summary>The record holds salts: the body holds the values.</summary>
    public const byte Salted = 1;

    /// <summary>The record holds commitments: the body's personal values read <see cref="Erased"/>.</summary>
    public const byte Committed = 2;

    /// <summary>
    /// The record holds both (an erasure by email took some catalog-marked values of another actor's event): each entry
    /// is a tag byte, <see cref="Salted"/> followed by a salt or <see cref="Committed"/> followed by a commitment.
    /// </summary>
    public const byte Partly = 3;

    public const int SaltSize = 16;

    public const int CommitmentSize = 32;

    /// <summary>At most this many built-in personal values in one event.</summary>
    public const int MaxSlots = 6;

    /// <summary>
    /// Set on the kind byte of a record whose event has catalog-marked personal paths
    /// (<see cref="PersonalPaths"/>): the paths follow the kind byte, then the entries.
    /// </summary>
    public const byte Marked = 0x80;

    internal static readonly byte[] ErasedJson = "\"[erased]\""u8.ToArray();
    private static readonly byte[] CommitmentStart = "{\"sha256\":\""u8.ToArray();
    private static readonly byte[] CommitmentEnd = "\"}"u8.ToArray();

    /// <summary>
    /// A personal value's place in a body: its JSON string token, quotes included, and what made it personal
    /// (<see cref="BuiltIn"/>, <see cref="AtMarkedPath"/> or <see cref="RenderedDescription"/>).
    /// </summary>
    internal readonly record struct Slot(int Start, int End, bool Escaped, byte Source);

    internal const byte BuiltIn = 0;
    internal const byte AtMarkedPath = 1;
    internal const byte RenderedDescription = 2;

    /// <summary>
    /// Seals canonical bytes: fresh salts for their personal values (the built-in ones and those at
    /// <paramref name="marked"/> paths), and the leaf bytes with each value replaced by its commitment,
    /// written in one pass at their exact size. Returns the personal record, or null (and
    /// <paramref name="leaf"/> null) when the bytes hold no personal value: their leaf is then the bytes
    /// themselves. Done on the request's thread (<see cref="CanonicalParts"/>), so the log's one writer only hashes.
    /// </summary>
    public static byte[]? Seal(ReadOnlySpan<byte> body, PersonalPaths? marked, out byte[]? leaf) => Seal(body, marked, out leaf, out _);

    /// <summary>
    /// The seal, and in <paramref name="markedEmails"/> the email addresses the values at <paramref name="marked"/> paths
    /// hold (<see cref="MarkedEmails"/>), lower-cased and distinct, or null when there are none: what the store's index
    /// of marked emails gets for the event.
    /// </summary>
    public static byte[]? Seal(ReadOnlySpan<byte> body, PersonalPaths? marked, out byte[]? leaf, out string[]? markedEmails) =>
        Seal(body, marked, out leaf, out markedEmails, split: false, out _, out _, out _);

    /// <summary>
    /// The seal, and when <paramref name="split"/> is set the shape and values record of <see cref="PersonalSplit"/>
    /// for it, written from the same reading of the body (what <see cref="PersonalSplit.Split"/> gives, without
    /// finding the values again).
    /// </summary>
    internal static byte[]? Seal(ReadOnlySpan<byte> body, PersonalPaths? marked, out byte[]? leaf, out string[]? markedEmails, bool split, out byte[]? shape, out byte[]? values, out byte[]? masked)
    {
        markedEmails = null;
        shape = null;
        values = null;
        masked = null;
        Slot[]? rented = null;
        var slots = marked is null ? stackalloc Slot[MaxSlots] : (rented = ArrayPool<Slot>.Shared.Rent(Capacity(body)));
        try
        {
            var count = Find(body, marked, slots);
            if (count == 0)
            {
                leaf = null;
                return null;
            }

            if (marked is not null)
            {
                markedEmails = EmailsAt(body, slots[..count], null);
            }

            var header = marked?.Header ?? [];
            var record = new byte[1 + header.Length + (count * SaltSize)];
            record[0] = (byte)(Salted | (marked is null ? 0 : Marked));
            header.CopyTo(record.AsSpan(1));
            var salts = record.AsSpan(1 + header.Length);
            Salts.Fill(salts);
            var length = body.Length + (count * CommittedLength);
            for (var i = 0; i < count; i++)
            {
                length -= slots[i].End - slots[i].Start;
            }

            leaf = new byte[length];
            var output = leaf.AsSpan();
            Span<byte> commitments = stackalloc byte[MaxSlots * CommitmentSize];
            byte[]? rentedCommitments = null;
            if (count > MaxSlots)
            {
                commitments = (rentedCommitments = ArrayPool<byte>.Shared.Rent(count * CommitmentSize)).AsSpan(0, count * CommitmentSize);
            }

            var at = 0;
            for (var i = 0; i < count; i++)
            {
                var slot = slots[i];
                body[at..slot.Start].CopyTo(output);
                output = output[(slot.Start - at)..];
                var commitment = commitments.Slice(i * CommitmentSize, CommitmentSize);
                Commit(salts.Slice(i * SaltSize, SaltSize), Value(body, slot), commitment);
                output = output[WriteCommitted(commitment, output)..];
                at = slot.End;
            }

            body[at..].CopyTo(output);
            if (split)
            {
                (shape, values, masked) = PersonalSplit.Write(body, slots[..count], record, 1 + header.Length, commitments[..(count * CommitmentSize)]);
            }

            if (rentedCommitments is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedCommitments);
            }

            return record;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<Slot>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The leaf bytes of a stored event: the body itself when <paramref name="hasRecord"/> is false,
    /// otherwise the body with its personal values replaced by their commitments. Returns false when
    /// the record does not fit the body (wrong form, or not one entry per personal value).
    /// </summary>
    public static bool TryLeaf(ReadOnlySpan<byte> body, ReadOnlySpan<byte> record, bool hasRecord, IBufferWriter<byte> leaf)
    {
        if (!hasRecord)
        {
            leaf.Write(body);
            return true;
        }

        if (!TryReadRecord(record, out var kind, out var marked, out var entries))
        {
            return false;
        }

        Slot[]? rented = null;
        var slots = marked is null ? stackalloc Slot[MaxSlots] : (rented = ArrayPool<Slot>.Shared.Rent(Capacity(body)));
        try
        {
            int count;
            try
            {
                count = Find(body, marked, slots);
            }
            catch (JsonException)
            {
                return false;
            }

            if (count == 0)
            {
                return false;
            }

            Span<byte> commitment = stackalloc byte[CommitmentSize];
            var at = 0;
            var read = 0;
            for (var i = 0; i < count; i++)
            {
                if (!TryNextEntry(kind, entries, ref read, out var salted, out var entry))
                {
                    return false;
                }

                var slot = slots[i];
                leaf.Write(body[at..slot.Start]);
                if (salted)
                {
                    Commit(entry, Value(body, slot), commitment);
                }
                else
                {
                    entry.CopyTo(commitment);
                }

                leaf.Advance(WriteCommitted(commitment, leaf.GetSpan(CommittedLength)));
                at = slot.End;
            }

            if (read != entries.Length)
            {
                return false;
            }

            leaf.Write(body[at..]);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<Slot>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The leaf bytes (see <see cref="TryLeaf"/>); throws <see cref="InvalidDataException"/> when the record does not fit the body.</summary>
    public static byte[] Leaf(byte[] body, byte[]? record)
    {
        if (record is null)
        {
            return body;
        }

        var leaf = new ArrayBufferWriter<byte>(body.Length + 256);
        return TryLeaf(body, record, true, leaf)
            ? leaf.WrittenSpan.ToArray()
            : throw new InvalidDataException("the personal record does not fit the event's personal values");
    }

    /// <summary>The catalog-marked paths a record carries, or null when it carries none (or is not a record).</summary>
    public static PersonalPaths? MarkedPaths(ReadOnlySpan<byte> record) =>
        TryReadRecord(record, out _, out var marked, out _) ? marked : null;

    /// <summary>
    /// The body with every personal value replaced by <see cref="Erased"/> (a rendered description keeps its text with
    /// the copies of those values replaced), and the record of their commitments (with the same marked paths), so that
    /// <see cref="Leaf"/> of the result gives the same bytes as before. A record already of commitments is kept
    /// (erasing twice changes nothing).
    /// </summary>
    public static (byte[] Body, byte[] Record) Erase(byte[] body, byte[] record) =>
        Rewrite(body, record, null) ?? (body, record);

    /// <summary>
    /// Erases, in an event of another subject, only the values at catalog-marked paths that hold one of
    /// <paramref name="emails"/> (lower-case; <see cref="MarkedEmails"/> says what "hold" means), and their copies in a
    /// rendered description; the event's other values keep their salts (the record becomes <see cref="Partly"/> erased,
    /// or <see cref="Committed"/> when nothing salted is left). Null when no such value is there.
    /// </summary>
    public static (byte[] Body, byte[] Record)? EraseEmails(byte[] body, byte[] record, IReadOnlySet<string> emails) =>
        Rewrite(body, record, emails);

    /// <summary>
    /// The distinct lower-case email addresses the values at catalog-marked paths still hold (their salts kept, so
    /// not erased): an address counts wherever it stands in the value (<c>ada@example.com</c>, <c>Ada &lt;ada@example.com&gt;</c>),
    /// as a run of characters other than spaces, quotes, brackets, commas, semicolons and colons around one <c>@</c>.
    /// Null when there are none, or the record carries no marked paths or does not fit the body.
    /// </summary>
    public static string[]? MarkedEmails(byte[] body, byte[]? record)
    {
        if (record is null || !TryReadRecord(record, out var kind, out var marked, out var entries) || marked is null)
        {
            return null;
        }

        var slots = new Slot[Capacity(body)];
        int count;
        try
        {
            count = Find(body, marked, slots);
        }
        catch (JsonException)
        {
            return null;
        }

        var salted = new bool[count];
        var read = 0;
        for (var i = 0; i < count; i++)
        {
            if (!TryNextEntry(kind, entries, ref read, out salted[i], out _))
            {
                return null;
            }
        }

        return EmailsAt(body, slots.AsSpan(0, count), salted);
    }

    /// <summary>The email addresses in the marked slots (those still <paramref name="salted"/>, when given), or null.</summary>
    private static string[]? EmailsAt(ReadOnlySpan<byte> body, ReadOnlySpan<Slot> slots, bool[]? salted)
    {
        HashSet<string>? emails = null;
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            if (slot.Source == AtMarkedPath && (salted is null || salted[i]) && body[slot.Start..slot.End].Contains((byte)'@'))
            {
                EmailTokens.Add(System.Text.Encoding.UTF8.GetString(Value(body, slot)), emails ??= new HashSet<string>(StringComparer.Ordinal));
            }
        }

        return emails is { Count: > 0 } ? [.. emails] : null;
    }

    /// <summary>
    /// Erases the personal values of a stored event: all of them (<paramref name="emails"/> null), or only the marked
    /// values holding one of <paramref name="emails"/>. A rendered description is never replaced whole: once any value
    /// is erased, its copies in the description read <see cref="Erased"/> and the description's own entry becomes its
    /// commitment. Null when nothing changes.
    /// </summary>
    private static (byte[] Body, byte[] Record)? Rewrite(byte[] body, byte[] record, IReadOnlySet<string>? emails)
    {
        if (!TryReadRecord(record, out var kind, out var marked, out var entries))
        {
            throw new InvalidDataException("the personal record does not fit the event's personal values");
        }

        var slots = marked is null ? new Slot[MaxSlots] : new Slot[Capacity(body)];
        var count = Find(body, marked, slots);
        var salts = new byte[count][];
        var commitments = new byte[count][];
        var read = 0;
        for (var i = 0; i < count; i++)
        {
            if (!TryNextEntry(kind, entries, ref read, out var salted, out var entry))
            {
                throw new InvalidDataException("the personal record does not fit the event's personal values");
            }

            if (salted)
            {
                salts[i] = entry.ToArray();
            }
            else
            {
                commitments[i] = entry.ToArray();
            }
        }

        if (read != entries.Length)
        {
            throw new InvalidDataException("the personal record does not fit the event's personal values");
        }

        // The values erased now, and the slot of a rendered description.
        var erasing = new bool[count];
        var erasedValues = new List<string>();
        var description = -1;
        for (var i = 0; i < count; i++)
        {
            if (slots[i].Source == RenderedDescription)
            {
                description = i;
                continue;
            }

            if (salts[i] is null)
            {
                continue;
            }

            var value = System.Text.Encoding.UTF8.GetString(Value(body, slots[i]));
            if (emails is null || (slots[i].Source == AtMarkedPath && value.Contains('@', StringComparison.Ordinal) && EmailTokens.AnyIn(value, emails)))
            {
                erasing[i] = true;
                erasedValues.Add(value);
            }
        }

        // Nothing to erase: by email, no marked value holds one; in full, every entry is a commitment already.
        if (erasedValues.Count == 0 && (emails is not null || Array.TrueForAll(salts, s => s is null)))
        {
            return null;
        }

        byte[]? describedAs = null;
        if (description >= 0 && (erasedValues.Count > 0 || salts[description] is not null))
        {
            describedAs = CanonicalEvent.StringToken(Described(ReadString(body, slots[description]), erasedValues));
            erasing[description] = true;
        }

        var header = record.Length - entries.Length;
        var output = new ArrayBufferWriter<byte>(header + (count * (1 + CommitmentSize)));
        output.Write(record.AsSpan(0, header));
        var committedAll = true;
        for (var i = 0; i < count; i++)
        {
            committedAll &= erasing[i] || salts[i] is null;
        }

        var newKind = committedAll ? Committed : Partly;
        var erasedBody = new ArrayBufferWriter<byte>(body.Length);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var slot = slots[i];
            var commitment = commitments[i];
            if (erasing[i] && salts[i] is not null)
            {
                commitment = new byte[CommitmentSize];
                Commit(salts[i], Value(body, slot), commitment);
            }

            if (newKind == Partly)
            {
                output.GetSpan(1)[0] = commitment is null ? Salted : Committed;
                output.Advance(1);
            }

            output.Write(commitment ?? salts[i]);
            erasedBody.Write(body.AsSpan(at, slot.Start - at));
            erasedBody.Write(i == description && describedAs is not null ? describedAs : erasing[i] ? ErasedJson : body.AsSpan(slot.Start, slot.End - slot.Start));
            at = slot.End;
        }

        erasedBody.Write(body.AsSpan(at));
        var result = output.WrittenSpan.ToArray();
        result[0] = (byte)(newKind | (marked is null ? 0 : Marked));
        return (erasedBody.WrittenSpan.ToArray(), result);
    }

    /// <summary>A rendered description with every copy of the erased values (as written, and as a template renders them) read as <see cref="Erased"/>.</summary>
    private static string Described(string description, List<string> erased)
    {
        var forms = erased.SelectMany(v => new[] { v, Catalog.TemplatePlaceholder.Clean(v) })
            .Where(v => !string.IsNullOrWhiteSpace(v) && v != Erased)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v!.Length);
        foreach (var form in forms)
        {
            description = description.Replace(form!, Erased, StringComparison.Ordinal);
        }

        return description;
    }

    private static string ReadString(ReadOnlySpan<byte> body, Slot slot)
    {
        var reader = new Utf8JsonReader(body[slot.Start..slot.End]);
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>
    /// The next entry of a record's entries of <paramref name="kind"/> at <paramref name="at"/>: a salt or a commitment,
    /// told by the kind or, in a <see cref="Partly"/> erased record, by the entry's tag byte. False past the end.
    /// </summary>
    internal static bool TryNextEntry(byte kind, ReadOnlySpan<byte> entries, ref int at, out bool salted, out ReadOnlySpan<byte> entry)
    {
        entry = default;
        salted = kind == Salted;
        if (kind == Partly)
        {
            if (at >= entries.Length || entries[at] is not (Salted or Committed))
            {
                return false;
            }

            salted = entries[at++] == Salted;
        }

        var size = salted ? SaltSize : CommitmentSize;
        if (at + size > entries.Length)
        {
            return false;
        }

        entry = entries.Slice(at, size);
        at += size;
        return true;
    }

    /// <summary>Whether a record holds commitments (its values were erased).</summary>
    public static bool IsCommitted(ReadOnlySpan<byte> record) => record.Length > 0 && (record[0] & ~Marked) == Committed;

    /// <summary>Splits a record into its kind, its marked paths and its entries; false when it is not a record.</summary>
    internal static bool TryReadRecord(ReadOnlySpan<byte> record, out byte kind, out PersonalPaths? marked, out ReadOnlySpan<byte> entries)
    {
        kind = 0;
        marked = null;
        entries = default;
        if (record.Length == 0 || (record[0] & ~Marked) is not (Salted or Committed or Partly))
        {
            return false;
        }

        kind = (byte)(record[0] & ~Marked);
        var at = 1;
        if ((record[0] & Marked) != 0)
        {
            var read = PersonalPaths.TryRead(record[1..], out marked);
            if (read < 0)
            {
                return false;
            }

            at += read;
        }

        entries = record[at..];
        return true;
    }

    /// <summary>Room for every string of a body: each takes at least two bytes.</summary>
    internal static int Capacity(ReadOnlySpan<byte> body) => (body.Length / 2) + MaxSlots;

    /// <summary>SHA-256(salt ‖ UTF-8 value).</summary>
    public static void Commit(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> value, Span<byte> commitment)
    {
        // One hash over a stack copy, through OpenSSL's SHA256_* with the context on the stack (Integrity.Sha256):
        // .NET's SHA256.HashData sets up an EVP context per call, which cost more than hashing a short value.
        var length = salt.Length + value.Length;
        byte[]? rented = null;
        var input = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        salt.CopyTo(input);
        value.CopyTo(input[salt.Length..]);
        Sha256.Hash(input, commitment);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The length of a commitment in the leaf: <c>{"sha256":"</c>, 64 hex digits, <c>"}</c>.</summary>
    internal const int CommittedLength = 11 + (CommitmentSize * 2) + 2;

    /// <summary>Writes <c>{"sha256":"&lt;hex&gt;"}</c> for a commitment; returns <see cref="CommittedLength"/>.</summary>
    private static int WriteCommitted(ReadOnlySpan<byte> commitment, Span<byte> output)
    {
        CommitmentStart.CopyTo(output);
        Convert.TryToHexStringLower(commitment, output[CommitmentStart.Length..], out var written);
        CommitmentEnd.CopyTo(output[(CommitmentStart.Length + written)..]);
        return CommittedLength;
    }

    /// <summary>The value of a slot as UTF-8, unescaped.</summary>
    internal static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> body, Slot slot)
    {
        var raw = body[(slot.Start + 1)..(slot.End - 1)];
        if (!slot.Escaped)
        {
            return raw;
        }

        var reader = new Utf8JsonReader(body[slot.Start..slot.End]);
        reader.Read();
        var text = reader.GetString()!;
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// Finds the personal values of a canonical body, in body order. The canonical form puts
    /// <c>actor</c> and <c>context</c> before <c>changes</c>, <c>metadata</c> and <c>description</c>,
    /// so without <paramref name="marked"/> paths reading stops there; with them it goes on through
    /// <c>targets</c>, <c>changes</c> and <c>metadata</c>.
    /// </summary>
    internal static int Find(ReadOnlySpan<byte> body, PersonalPaths? marked, Span<Slot> slots)
    {
        var r = new Utf8JsonReader(body);
        var count = 0;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a stored event");
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("actor"u8))
            {
                r.Read();
                ReadObject(ref r, slots, ref count, BuiltIn, static name => name.SequenceEqual("name"u8) || name.SequenceEqual("email"u8));
            }
            else if (r.ValueTextEquals("context"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("context is not an object");
                }

                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("location"u8))
                    {
                        r.Read();
                        ReadObject(ref r, slots, ref count, BuiltIn, static name => name.SequenceEqual("country"u8) || name.SequenceEqual("city"u8));
                    }
                    else
                    {
                        var personal = r.ValueTextEquals("ip"u8) || r.ValueTextEquals("user_agent"u8);
                        r.Read();
                        if (personal && r.TokenType == JsonTokenType.String)
                        {
                            Add(ref r, slots, ref count, BuiltIn);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }
                }

                if (marked is null)
                {
                    return count;
                }
            }
            else if (marked is not null && r.ValueTextEquals("targets"u8))
            {
                r.Read();
                if (marked.MarksTargetNames && r.TokenType == JsonTokenType.StartArray)
                {
                    while (r.Read() && r.TokenType == JsonTokenType.StartObject)
                    {
                        ReadObject(ref r, slots, ref count, AtMarkedPath, static name => name.SequenceEqual("name"u8));
                    }
                }
                else
                {
                    r.Skip();
                }
            }
            else if (r.ValueTextEquals("changes"u8) || r.ValueTextEquals("metadata"u8) || r.ValueTextEquals("description"u8))
            {
                if (marked is null)
                {
                    return count;
                }

                var candidates = new List<byte[][]>();
                foreach (var path in marked.Segments)
                {
                    if (r.ValueTextEquals(path[0]))
                    {
                        candidates.Add(path);
                    }
                }

                var source = r.ValueTextEquals("description"u8) ? RenderedDescription : AtMarkedPath;
                r.Read();
                Walk(ref r, candidates, 1, slots, ref count, source);
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }

        return count;
    }

    /// <summary>
    /// At a value reached by the first <paramref name="depth"/> segments of every path in
    /// <paramref name="paths"/>: marks every string under it when one of the paths ends here, else
    /// follows the members the paths name further.
    /// </summary>
    private static void Walk(ref Utf8JsonReader r, List<byte[][]> paths, int depth, Span<Slot> slots, ref int count, byte source)
    {
        if (paths.Count == 0)
        {
            r.Skip();
            return;
        }

        if (paths.Exists(p => p.Length == depth))
        {
            MarkAll(ref r, slots, ref count, source);
            return;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var next = new List<byte[][]>();
            foreach (var path in paths)
            {
                if (r.ValueTextEquals(path[depth]))
                {
                    next.Add(path);
                }
            }

            r.Read();
            Walk(ref r, next, depth + 1, slots, ref count, source);
        }
    }

    /// <summary>Adds every string value at or under the current token (member names are not values).</summary>
    private static void MarkAll(ref Utf8JsonReader r, Span<Slot> slots, ref int count, byte source)
    {
        if (r.TokenType == JsonTokenType.String)
        {
            Add(ref r, slots, ref count, source);
            return;
        }

        if (r.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        var depth = r.CurrentDepth;
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.String)
            {
                Add(ref r, slots, ref count, source);
            }
            else if (r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && r.CurrentDepth == depth)
            {
                return;
            }
        }
    }

    private static void ReadObject(ref Utf8JsonReader r, Span<Slot> slots, ref int count, byte source, Func<ReadOnlySpan<byte>, bool> isPersonal)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not an object where one was expected");
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var personal = isPersonal(r.ValueSpan);
            r.Read();
            if (personal && r.TokenType == JsonTokenType.String)
            {
                Add(ref r, slots, ref count, source);
            }
            else
            {
                r.Skip();
            }
        }
    }

    private static void Add(ref Utf8JsonReader r, Span<Slot> slots, ref int count, byte source)
    {
        if (count == slots.Length)
        {
            throw new JsonException("more personal values than an event holds");
        }

        var start = checked((int)r.TokenStartIndex);
        slots[count++] = new Slot(start, checked((int)r.BytesConsumed), r.ValueIsEscaped, source);
    }
}
