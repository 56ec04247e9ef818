using Npgsql;
using NpgsqlTypes;

namespace Witness.Storage.Postgres;

/// <summary>The pre-aggregated counts (<see cref="EventCountSlots"/>, migration 014): written by appends, reduced by purges.</summary>
internal static class PostgresEventCounts
{
    /// <summary>The slot of <c>occurred_at</c> in SQL (epoch seconds are exact numerics; floor rounds down, also before 1970).</summary>
    public const string OccurredSlotSql = "floor(extract(epoch FROM occurred_at) / 900)::bigint";

    /// <summary>
    /// Adds the counts of a group's accepted events in one upsert, keys in order. The caller holds the
    /// heads of every tenant named, so no other append changes these rows meanwhile.
    /// </summary>
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IEnumerable<(long TenantId, LogEntry Entry)> events, CancellationToken ct)
    {
        var tally = new EventCountTally();
        foreach (var (tenantId, entry) in events)
        {
            tally.Add(tenantId, entry.Keys);
        }

        var counts = tally.Take();
        if (counts.Count == 0)
        {
            return;
        }

        var keys = counts.OrderBy(c => c.Key.TenantId).ThenBy(c => c.Key.Slot).ToList();
        await using var upsert = new NpgsqlCommand(
            """
            INSERT INTO event_counts AS c (tenant_id, slot, type, action, outcome, category, events)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
            ON CONFLICT (tenant_id, slot, type, action, outcome, category) DO UPDATE SET events = c.events + excluded.events
            """, connection, tx);
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.TenantId).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.Slot).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.Type).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.Action).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.Outcome).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key.Category).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        upsert.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Value).ToArray() });
        await upsert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Takes a purge batch's events (seq in (<paramref name="purged"/>, <paramref name="end"/>], received in
    /// [<paramref name="oldest"/>, <paramref name="newest"/>]) out of the counts, before they are deleted, and
    /// removes the rows that reach zero within the batch's slots.
    /// </summary>
    public static async Task SubtractAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long purged, long end, DateTime oldest, DateTime newest,
        long firstSlot, long lastSlot, CancellationToken ct)
    {
        await using (var update = new NpgsqlCommand(
            $"""
            UPDATE event_counts c SET events = c.events - d.n
            FROM (SELECT tenant_id, {OccurredSlotSql} AS slot, type, action, outcome, coalesce(category, '') AS category, count(*) AS n
                  FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 AND received_at BETWEEN $4 AND $5
                  GROUP BY 1, 2, 3, 4, 5, 6) d
            WHERE c.tenant_id = d.tenant_id AND c.slot = d.slot AND c.type = d.type AND c.action = d.action
              AND c.outcome = d.outcome AND c.category = d.category
            """, connection, tx))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            update.Parameters.Add(new NpgsqlParameter { Value = purged });
            update.Parameters.Add(new NpgsqlParameter { Value = end });
            update.Parameters.Add(new NpgsqlParameter { Value = oldest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            update.Parameters.Add(new NpgsqlParameter { Value = newest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await update.ExecuteNonQueryAsync(ct);
        }

        await using var delete = new NpgsqlCommand("DELETE FROM event_counts WHERE tenant_id = $1 AND slot BETWEEN $2 AND $3 AND events <= 0", connection, tx);
        delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        delete.Parameters.Add(new NpgsqlParameter { Value = firstSlot });
        delete.Parameters.Add(new NpgsqlParameter { Value = lastSlot });
        await delete.ExecuteNonQueryAsync(ct);

        // The top lists' filled days of the purged events are forgotten: counts would change anyway, and no actor or IP may outlive its events.
        await PostgresStore.ForgetKeyDaysAsync(connection, tx, tenantId, KeyDayCounts.OfSlot(firstSlot), KeyDayCounts.OfSlot(lastSlot) + 1, ct);
    }
}
