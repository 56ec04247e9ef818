using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

/// <summary>
/// The day counts of the top lists (<see cref="KeyDayCounts"/>, migration 023) and the counts by IP (<see cref="IpSlotCounts"/>, 028): filled for closed days by the
/// server's loop (<see cref="FillClosedDaysAsync"/>) or by a count that needs them, read while the day's events in <c>event_counts</c> are as many as when filled,
/// forgotten by purges, erasure and tenant deletion. Appends never touch them.
/// </summary>
public sealed partial class SqliteStore : IKeyDayCountsStore
{
    /// <summary>The actor of an event in the top lists: its id, else its email (the key of <c>actor_day_counts</c>).</summary>
    /// <remarks>A split event (migration 029) keeps its email in its side row, looked up only for an event without an actor id.</remarks>
    private const string ActorKeySql = $"coalesce(e.actor_id, e.actor_email, {SqliteSearch.PersonalEmail})";

    /// <summary>The IP of an event in the top lists: its row's, or a split event's side row's (migration 029).</summary>
    private const string IpKeySql = $"coalesce(e.ip, {SqliteSearch.PersonalIp})";

    /// <inheritdoc/>
    public async Task<int> FillClosedDaysAsync(string tenant, int days, CancellationToken ct)
    {
        var now = _options.Clock.GetUtcNow();
        return KeyDayCounts.ClosedDays(now.AddDays(-days), now, now) is { } closed && await ReadAsync(connection => TenantIdAsync(connection, tenant, ct), ct) is { } tenantId
            ? await FillKeyDaysAsync(tenantId, closed, ct)
            : 0;
    }

    /// <summary>
    /// Fills the days of <paramref name="days"/> that hold events and cannot be read, newest first, one write transaction
    /// per day (a day of a million-event month is ~33,000 rows of the time index, tens of milliseconds), so that
    /// appends wait for one day at most; answers how many it filled.
    /// </summary>
    private async Task<int> FillKeyDaysAsync(long tenantId, (long First, long End) days, CancellationToken ct)
    {
        var missing = await ReadAsync(async connection =>
        {
            await using var tx = connection.BeginTransaction(deferred: true);
            var (filled, current) = await KeyDayStateAsync(connection, tx, tenantId, days, ct);
            return KeyDayCounts.ToFill(days, filled, current);
        }, ct);
        var filledDays = 0;
        foreach (var day in missing.Reverse())
        {
            filledDays += await WriteAsync(async connection =>
            {
                await using var tx = connection.BeginTransaction();
                var (filled, current) = await KeyDayStateAsync(connection, tx, tenantId, (day, day + 1), ct);
                if (KeyDayCounts.ToFill((day, day + 1), filled, current).Count == 0)
                {
                    return 0;
                }

                await ForgetKeyDaysAsync(connection, tx, tenantId, day, day + 1, ct);
                var (lo, hi) = (KeyDayCounts.StartMicros(day), KeyDayCounts.StartMicros(day + 1));
                await ExecuteAsync(connection, tx,
                    $"""
                    INSERT INTO actor_day_counts (tenant_id, day, type, actor, events, failures)
                    SELECT $p0, $p1, e.type, {ActorKeySql}, count(*), sum(e.outcome = 'failure') FROM events e INDEXED BY ix_events_time
                    WHERE e.tenant_id = $p0 AND e.occurred_at >= $p2 AND e.occurred_at < $p3 AND {ActorKeySql} IS NOT NULL GROUP BY 3, 4
                    """, ct, tenantId, day, lo, hi);
                await ExecuteAsync(connection, tx,
                    $"""
                    INSERT INTO ip_day_counts (tenant_id, day, type, ip, events, failures)
                    SELECT $p0, $p1, e.type, {IpKeySql}, count(*), sum(e.outcome = 'failure') FROM events e INDEXED BY ix_events_time
                    WHERE e.tenant_id = $p0 AND e.occurred_at >= $p2 AND e.occurred_at < $p3 AND {IpKeySql} IS NOT NULL GROUP BY 3, 4
                    """, ct, tenantId, day, lo, hi);
                await FillIpDayAsync(connection, tx, tenantId, day, lo, hi, ct);
                await ExecuteAsync(connection, tx, "INSERT INTO key_count_days (tenant_id, day, events) VALUES ($p0, $p1, $p2)", ct,
                    tenantId, day, current.GetValueOrDefault(day));
                await tx.CommitAsync(ct);
                return 1;
            }, ct);
        }

        return filledDays;
    }

    /// <summary>
    /// The rows the counts by IP of a day are filled from, the one read of the events' IPs they make (<c>$p0</c> the tenant,
    /// <c>[$p2, $p3)</c> the day's microseconds): per event with an IP, its key, quarter-hour slot, type, action and outcome.
    /// The time index carries every column (migration 017), so the events' rows are not read; a split event's IP is in its
    /// side row (migration 029, <see cref="IpKeySql"/>).
    /// </summary>
    private const string IpSlotRowsSql =
        $"SELECT {IpKeySql} AS ip, {OccurredSlotSql} AS slot, e.type, e.action, e.outcome FROM events e INDEXED BY ix_events_time " +
        $"WHERE e.tenant_id = $p0 AND e.occurred_at >= $p2 AND e.occurred_at < $p3 AND {IpKeySql} IS NOT NULL";

    /// <summary>
    /// Fills the counts by IP (<see cref="IpSlotCounts"/>) of one day in the fill's transaction: each event's IP under its own
    /// key and under its block's (the last byte zero), per slot and type, and per type and action. The <c>bits</c> written are
    /// <see cref="IpSlotCounts.ExactBits"/> and <see cref="IpSlotCounts.BlockBits"/>.
    /// </summary>
    private static async Task FillIpDayAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, long day, long lo, long hi, CancellationToken ct)
    {
        const string keys =
            $"""
            WITH r AS ({IpSlotRowsSql}),
            k AS (SELECT 128 AS bits, ip, slot, type, action, outcome FROM r
                  UNION ALL SELECT 120, unhex(hex(substr(ip, 1, 15)) || '00'), slot, type, action, outcome FROM r)
            """;
        await ExecuteAsync(connection, tx,
            $"""
            {keys}
            INSERT INTO ip_slot_counts (tenant_id, day, bits, ip, slot, type, events, failures)
            SELECT $p0, $p1, bits, ip, slot, type, count(*), sum(outcome = 'failure') FROM k GROUP BY bits, ip, slot, type
            """, ct, tenantId, day, lo, hi);
        await ExecuteAsync(connection, tx,
            $"""
            {keys}
            INSERT INTO ip_action_counts (tenant_id, day, bits, ip, type, action, events, failures)
            SELECT $p0, $p1, bits, ip, type, action, count(*), sum(outcome = 'failure') FROM k GROUP BY bits, ip, type, action
            """, ct, tenantId, day, lo, hi);
    }

    /// <summary>
    /// The filled days of <paramref name="days"/> with the events each held when filled, and the events each day
    /// holds now by the pre-aggregated counts (summed per slot, a prefix of their key, so read without sorting).
    /// </summary>
    private static async Task<(Dictionary<long, long> Filled, Dictionary<long, long> Current)> KeyDayStateAsync(
        SqliteConnection connection, SqliteTransaction tx, long tenantId, (long First, long End) days, CancellationToken ct)
    {
        var filled = (await QueryListAsync(connection, tx, "SELECT day, events FROM key_count_days WHERE tenant_id = $p0 AND day >= $p1 AND day < $p2",
            r => (Day: r.GetInt64(0), Events: r.GetInt64(1)), ct, tenantId, days.First, days.End)).ToDictionary(d => d.Day, d => d.Events);
        var current = new Dictionary<long, long>();
        foreach (var (slot, events) in await QueryListAsync(connection, tx,
            "SELECT slot, sum(events) FROM event_counts WHERE tenant_id = $p0 AND slot >= $p1 AND slot < $p2 GROUP BY slot",
            r => (Slot: r.GetInt64(0), Events: r.GetInt64(1)), ct, tenantId, days.First * KeyDayCounts.SlotsPerDay, days.End * KeyDayCounts.SlotsPerDay))
        {
            KeyDayCounts.AddSlot(current, slot, events);
        }

        return (filled, current);
    }

    /// <summary>
    /// Adds the top lists' counts of the days of <paramref name="days"/> that can be read (<see cref="KeyDayCounts.Usable"/>)
    /// to <paramref name="keys"/>, for the filter's type terms, and answers those days; the caller scans the rest.
    /// </summary>
    private static async Task<IReadOnlyList<long>> ReadKeyDaysAsync(
        SqliteConnection connection, SqliteTransaction tx, long tenantId, EventFilter filter, (long First, long End) days, TopKeysBuilder keys, CancellationToken ct)
    {
        var (filled, current) = await KeyDayStateAsync(connection, tx, tenantId, days, ct);
        var usable = KeyDayCounts.Usable(days, filled, current);
        foreach (var run in KeyDayCounts.Runs(usable))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = DayCountsSql(command, tenantId, filter, run);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                keys.AddActor(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
            }

            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                keys.AddIp(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        return usable;
    }

    /// <summary>
    /// The sums per actor and per IP (two result sets) over the day counts' rows of <paramref name="days"/>
    /// that pass the filter's terms (type only, <see cref="KeyDayCounts.Serve"/>), mapped by the search's own
    /// <see cref="SqliteSearch.Checked"/>: the day counts name their type column as the events do, under the same alias.
    /// </summary>
    private static string DayCountsSql(SqliteCommand command, long tenantId, EventFilter filter, (long First, long End) days)
    {
        var terms = CountTerms(command, tenantId, filter, days);
        return $"SELECT e.actor, sum(e.events), sum(e.failures) FROM actor_day_counts e WHERE e.tenant_id = $t AND e.day >= $first AND e.day < $end{terms} GROUP BY e.actor;" +
               $"SELECT e.ip, sum(e.events), sum(e.failures) FROM ip_day_counts e WHERE e.tenant_id = $t AND e.day >= $first AND e.day < $end{terms} GROUP BY e.ip";
    }

    /// <summary>
    /// Forgets the filled days [<paramref name="firstDay"/>, <paramref name="endDay"/>) of a tenant's top-list counts, in the
    /// caller's transaction: a purge for the days of its events, an erasure (<see cref="ForgetKeyDaysAsync(SqliteConnection, SqliteTransaction, long, CancellationToken)"/>)
    /// for all, since it changes actors and IPs without changing any count.
    /// </summary>
    private static async Task ForgetKeyDaysAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, long firstDay, long endDay, CancellationToken ct)
    {
        foreach (var table in (string[])["key_count_days", "actor_day_counts", "ip_day_counts", "ip_slot_counts", "ip_action_counts"])
        {
            await ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE tenant_id = $p0 AND day >= $p1 AND day < $p2", ct, tenantId, firstDay, endDay);
        }
    }

    /// <summary>Forgets every filled day of a tenant's top-list counts, in the caller's transaction: what an erasure calls.</summary>
    private static Task ForgetKeyDaysAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, CancellationToken ct) =>
        ForgetKeyDaysAsync(connection, tx, tenantId, long.MinValue, long.MaxValue, ct);
}
