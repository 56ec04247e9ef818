using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

/// <summary>The pre-aggregated counts (<see cref="EventCountSlots"/>, migration 014): written by appends, reduced by purges.</summary>
public sealed partial class SqliteStore
{
    /// <summary>The slot of <c>occurred_at</c> in SQL: SQLite's integer division truncates towards zero, a slot rounds down.</summary>
    private const string OccurredSlotSql = "(occurred_at / 900000000) - (occurred_at % 900000000 < 0)";

    /// <summary>Adds an append transaction's counts, one upsert per key; the caller commits.</summary>
    private static void WriteEventCounts(SqliteConnection connection, EventCountTally tally)
    {
        var counts = tally.Take();
        if (counts.Count == 0)
        {
            return;
        }

        using var upsert = new SqliteInsertStatement(connection,
            """
            INSERT INTO event_counts (tenant_id, slot, type, action, outcome, category, events) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (tenant_id, slot, type, action, outcome, category) DO UPDATE SET events = events + excluded.events
            """);
        foreach (var (key, count) in counts)
        {
            upsert.Bind(1, key.TenantId);
            upsert.Bind(2, key.Slot);
            upsert.Bind(3, key.Type);
            upsert.Bind(4, key.Action);
            upsert.Bind(5, key.Outcome);
            upsert.Bind(6, key.Category);
            upsert.Bind(7, count);
            upsert.Execute();
        }
    }

    /// <summary>
    /// Takes the events of rows (<paramref name="fromRid"/>, <paramref name="throughRid"/>] out of the counts,
    /// before they are deleted, and removes the rows that reach zero.
    /// </summary>
    private static async Task SubtractEventCountsAsync(SqliteConnection connection, SqliteTransaction tx, long fromRid, long throughRid, CancellationToken ct)
    {
        var span = await QueryRowAsync(connection, tx,
            $"SELECT tenant_id, min({OccurredSlotSql}), max({OccurredSlotSql}) FROM events WHERE rid > $p0 AND rid <= $p1 GROUP BY tenant_id",
            r => (Tenant: r.GetInt64(0), First: r.GetInt64(1), Last: r.GetInt64(2)), ct, fromRid, throughRid);
        if (span == default)
        {
            return;
        }

        await ExecuteAsync(connection, tx,
            $"""
            UPDATE event_counts AS c SET events = c.events - d.n
            FROM (SELECT tenant_id, {OccurredSlotSql} AS slot, type, action, outcome, coalesce(category, '') AS category, count(*) AS n
                  FROM events WHERE rid > $p0 AND rid <= $p1 GROUP BY 1, 2, 3, 4, 5, 6) AS d
            WHERE c.tenant_id = d.tenant_id AND c.slot = d.slot AND c.type = d.type AND c.action = d.action
              AND c.outcome = d.outcome AND c.category = d.category
            """, ct, fromRid, throughRid);
        await ExecuteAsync(connection, tx, "DELETE FROM event_counts WHERE tenant_id = $p0 AND slot BETWEEN $p1 AND $p2 AND events <= 0", ct,
            span.Tenant, span.First, span.Last);
        // The top lists' filled days of the purged events are forgotten: counts would change anyway, and no actor or IP may outlive its events.
        await ForgetKeyDaysAsync(connection, tx, span.Tenant, KeyDayCounts.OfSlot(span.First), KeyDayCounts.OfSlot(span.Last) + 1, ct);
    }
}
