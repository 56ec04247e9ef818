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

    public const int SaltSize = 16;

    public const int CommitmentSize = 32;

    /// <summary>At most this many personal values in one event.</summary>
    public const int MaxSlots = 6;

    private static readonly byte[] ErasedJson = "\"[erased]\""u8.ToArray();
    private static readonly byte[] CommitmentStart = "{\"sha256\":\""u8.ToArray();
    private static readonly byte[] CommitmentEnd = "\"}"u8.ToArray();

    /// <summary>A personal value's place in a body: its JSON string token, quotes included.</summary>
    private readonly record struct Slot(int Start, int End, bool Escaped);

    /// <summary>
    /// Seals canonical bytes: fresh salts for their personal values, and the leaf bytes with each value
    /// replaced by its commitment, written in one pass at their exact size. Returns the personal record,
    /// or null (and <paramref name="leaf"/> null) when the bytes hold no personal value: their leaf is
    /// then the bytes themselves. Done on the request's thread (<see cref="CanonicalParts"/>), so the
    /// log's one writer only hashes.
    /// </summary>
    public static byte[]? Seal(ReadOnlySpan<byte> body, out byte[]? leaf)
    {
        Span<Slot> slots = stackalloc Slot[MaxSlots];
        var count = Find(body, slots);
        if (count == 0)
        {
            leaf = null;
            return null;
        }

        var record = new byte[1 + (count * SaltSize)];
        record[0] = Salted;
        Salts.Fill(record.AsSpan(1));
        var length = body.Length + (count * CommittedLength);
        for (var i = 0; i < count; i++)
        {
            length -= slots[i].End - slots[i].Start;
        }

        leaf = new byte[length];
        var output = leaf.AsSpan();
        Span<byte> commitment = stackalloc byte[CommitmentSize];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var slot = slots[i];
            body[at..slot.Start].CopyTo(output);
            output = output[(slot.Start - at)..];
            Commit(record.AsSpan(1 + (i * SaltSize), SaltSize), Value(body, slot), commitment);
            output = output[WriteCommitted(commitment, output)..];
            at = slot.End;
        }

        body[at..].CopyTo(output);
        return record;
    }

    /// <summary>
    /// The leaf bytes of a stored event: the body itself when <paramref name="record"/> is null,
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

        Span<Slot> slots = stackalloc Slot[MaxSlots];
        int count;
        try
        {
            count = Find(body, slots);
        }
        catch (JsonException)
        {
            return false;
        }

        if (record.Length == 0 || count == 0)
        {
            return false;
        }

        var size = record[0] switch { Salted => SaltSize, Committed => CommitmentSize, _ => 0 };
        if (size == 0 || record.Length != 1 + (count * size))
        {
            return false;
        }

        Span<byte> commitment = stackalloc byte[CommitmentSize];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var slot = slots[i];
            leaf.Write(body[at..slot.Start]);
            var entry = record.Slice(1 + (i * size), size);
            if (record[0] == Salted)
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

        leaf.Write(body[at..]);
        return true;
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

    /// <summary>
    /// The body with every personal value replaced by <see cref="Erased"/>, and the record of their
    /// commitments, so that <see cref="Leaf"/> of the result gives the same bytes as before. A record
    /// already of commitments is kept (erasing twice changes nothing).
    /// </summary>
    public static (byte[] Body, byte[] Record) Erase(byte[] body, byte[] record)
    {
        Span<Slot> slots = stackalloc Slot[MaxSlots];
        var count = Find(body, slots);
        if (record.Length != 1 + (count * (record[0] == Salted ? SaltSize : CommitmentSize)) || record[0] is not (Salted or Committed))
        {
            throw new InvalidDataException("the personal record does not fit the event's personal values");
        }

        var committed = new byte[1 + (count * CommitmentSize)];
        committed[0] = Committed;
        var erased = new ArrayBufferWriter<byte>(body.Length);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var slot = slots[i];
            var target = committed.AsSpan(1 + (i * CommitmentSize), CommitmentSize);
            if (record[0] == Salted)
            {
                Commit(record.AsSpan(1 + (i * SaltSize), SaltSize), Value(body, slot), target);
            }
            else
            {
                record.AsSpan(1 + (i * CommitmentSize), CommitmentSize).CopyTo(target);
            }

            erased.Write(body.AsSpan(at, slot.Start - at));
            erased.Write(ErasedJson);
            at = slot.End;
        }

        erased.Write(body.AsSpan(at));
        return (erased.WrittenSpan.ToArray(), committed);
    }

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
    private const int CommittedLength = 11 + (CommitmentSize * 2) + 2;

    /// <summary>Writes <c>{"sha256":"&lt;hex&gt;"}</c> for a commitment; returns <see cref="CommittedLength"/>.</summary>
    private static int WriteCommitted(ReadOnlySpan<byte> commitment, Span<byte> output)
    {
        CommitmentStart.CopyTo(output);
        Convert.TryToHexStringLower(commitment, output[CommitmentStart.Length..], out var written);
        CommitmentEnd.CopyTo(output[(CommitmentStart.Length + written)..]);
        return CommittedLength;
    }

    /// <summary>The value of a slot as UTF-8, unescaped.</summary>
    private static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> body, Slot slot)
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
    /// so reading stops there.
    /// </summary>
    private static int Find(ReadOnlySpan<byte> body, Span<Slot> slots)
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
                ReadObject(ref r, slots, ref count, static name => name.SequenceEqual("name"u8) || name.SequenceEqual("email"u8));
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
                        ReadObject(ref r, slots, ref count, static name => name.SequenceEqual("country"u8) || name.SequenceEqual("city"u8));
                    }
                    else
                    {
                        var personal = r.ValueTextEquals("ip"u8) || r.ValueTextEquals("user_agent"u8);
                        r.Read();
                        if (personal && r.TokenType == JsonTokenType.String)
                        {
                            Add(ref r, slots, ref count);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }
                }

                return count;
            }
            else if (r.ValueTextEquals("changes"u8) || r.ValueTextEquals("metadata"u8) || r.ValueTextEquals("description"u8))
            {
                return count;
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }

        return count;
    }

    private static void ReadObject(ref Utf8JsonReader r, Span<Slot> slots, ref int count, Func<ReadOnlySpan<byte>, bool> isPersonal)
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
                Add(ref r, slots, ref count);
            }
            else
            {
                r.Skip();
            }
        }
    }

    private static void Add(ref Utf8JsonReader r, Span<Slot> slots, ref int count)
    {
        if (count == slots.Length)
        {
            throw new JsonException("more personal values than an event holds");
        }

        var start = checked((int)r.TokenStartIndex);
        slots[count++] = new Slot(start, checked((int)r.BytesConsumed), r.ValueIsEscaped);
    }
}
