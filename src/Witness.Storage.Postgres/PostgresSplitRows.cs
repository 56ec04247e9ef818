using Npgsql;
using Witness.Events;

namespace Witness.Storage.Postgres;

/// <summary>
/// Split rows (migration 029): a new event's personal values live in <c>event_personal</c>, its events row holds the
/// masked body and the shape (<see cref="PersonalSplit"/>). Every reader selects the events row's <c>body</c> and
/// <c>personal</c> with the side row's <c>record</c> (<c>events_joined.personal_values</c>) and turns them back into
/// today's pair here, so everything downstream reads the body with its values and the personal record as before.
/// </summary>
internal static class PostgresSplitRows
{
    /// <summary>The split form of an entry to append and its masked body (the events row's body), or null when it has no personal value (its row is written as before).</summary>
    public static SplitRow? Split(LogEntry entry)
    {
        if (entry.Personal is not { } record)
        {
            return null;
        }

        if (entry is { Split: { } split, Masked: { } masked })
        {
            return new SplitRow(masked, split);
        }

        return new SplitRow(PersonalSplit.Mask(entry.Body, record), PersonalSplit.Split(entry.Body, record));
    }

    /// <summary>The body with its values and the personal record of a stored row: a split row joined with its values (null: all erased), any other as stored.</summary>
    public static (byte[] Body, byte[]? Personal) Joined(byte[] body, byte[]? personal, byte[]? values) =>
        personal is not null && PersonalSplit.IsShape(personal) ? PersonalSplit.Join(body, personal, values) : (body, personal);

    /// <summary>The stored event of a row read with its body, hash, personal column and side values at <paramref name="at"/>, +1, +2, +3.</summary>
    public static StoredEvent Event(long seq, NpgsqlDataReader reader, int at)
    {
        var (body, personal) = Joined(
            reader.GetFieldValue<byte[]>(at),
            reader.IsDBNull(at + 2) ? null : reader.GetFieldValue<byte[]>(at + 2),
            reader.IsDBNull(at + 3) ? null : reader.GetFieldValue<byte[]>(at + 3));
        return new StoredEvent(seq, body, reader.GetFieldValue<byte[]>(at + 1)) { Personal = personal };
    }

    /// <summary>
    /// A log row for verification and export, read as <c>seq, event_id, body, hash, occurred_at, received_at, type, action,
    /// category, outcome, actor_id, actor_email, ip, search_text, personal, personal_values, public_text, personal_text</c>
    /// from <c>events_joined</c>: the body with its values and the personal record, and the stored index columns.
    /// </summary>
    public static StoredRow Row(NpgsqlDataReader reader)
    {
        var stored = reader.IsDBNull(14) ? null : reader.GetFieldValue<byte[]>(14);
        var (body, personal) = Joined(reader.GetFieldValue<byte[]>(2), stored, reader.IsDBNull(15) ? null : reader.GetFieldValue<byte[]>(15));
        var split = stored is not null && PersonalSplit.IsShape(stored);

        var keys = new EventIndexKeys(
            PostgresTime.ToMicros(reader.GetDateTime(4)), PostgresTime.ToMicros(reader.GetDateTime(5)), reader.GetString(6), reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetString(9),
            reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11),
            reader.IsDBNull(12) ? null : reader.GetFieldValue<byte[]>(12), split ? reader.GetString(16) : reader.GetString(13), []);
        return new StoredRow(reader.GetInt64(0), reader.GetString(1), body, reader.GetFieldValue<byte[]>(3), keys)
        {
            Personal = personal,
            PersonalText = split ? (reader.IsDBNull(17) ? "" : reader.GetString(17)) : null,
        };
    }

    /// <summary>Whether a row read by <see cref="Row"/> is a split row with erased values (its joined record is not all salts).</summary>
    public static bool ErasedSplit(NpgsqlDataReader reader, StoredRow row) =>
        !reader.IsDBNull(14) && PersonalSplit.IsShape(reader.GetFieldValue<byte[]>(14)) && row.Personal is { Length: > 0 } record && (record[0] & ~PersonalValues.Marked) != PersonalValues.Salted;
}

/// <summary>An event to append as a split row: the masked body its events row holds, and the rest of its split form.</summary>
internal sealed record SplitRow(byte[] Masked, SplitEvent Event);
