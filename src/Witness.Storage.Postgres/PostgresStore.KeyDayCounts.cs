using Npgsql;
using Witness.Search;

namespace Witness.Storage.Postgres;

/// <summary>
/// The day counts of the top lists (<see cref="KeyDayCounts"/>, migration 023) and the counts by IP (<see cref="IpSlotCounts"/>, 028): filled for closed days by the
/// server's loop (<see cref="FillClosedDaysAsync"/>) or by a count that needs them, read while the day's events in
/// <c>event_counts</c> are as many as when filled, forgotten by purges, dropped months, erasure and tenant deletion.
/// Appends never touch them.
/// </summary>
public sealed partial class PostgresStore : IKeyDayCountsStore
{
    /// <summary>The actor of an event in the top lists: its id, else its email (the key of <c>actor_day_counts</c>).</summary>
    private const string ActorKeySql = "coalesce(e.actor_id, e.actor_email)";

    /// <summary>The first key of the advisory locks that let one filler at a time fill a day; the day is the second.</summary>
    private const int KeyDayLock = 23023;

    /// <summary>
    /// The first key of the advisory lock (the tenant is the second) that fillers hold shared and a purge, an erasure or a
    /// dropped month (<c>witness_drop_event_partitions</c>, migration 027) exclusive when it forgets a tenant's days: so no
    /// fill that read the events before one of those committed can write its counts after that forgot the day.
    /// </summary>
    private const int KeyDayTenantLock = 23024;

    /// <inheritdoc/>
    public async Task<int> FillClosedDaysAsync(string tenant, int days, CancellationToken ct)
    {
        var now = _options.Clock.GetUtcNow();
        if (KeyDayCounts.ClosedDays(now.AddDays(-days), now, now) is not { } closed)
        {
            return 0;
        }

        await using var connection = await Data.OpenConnectionAsync(ct);
        return await TenantIdAsync(connection, tenant, ct) is { } tenantId ? await FillKeyDaysAsync(connection, tenantId, closed, ct) : 0;
    }

    /// <summary>
    /// Fills the days of <paramref name="days"/> that hold events and cannot be read, newest first, one transaction per
    /// day; answers how many it filled. Fillers (of this and other instances) of the same day take turns on an advisory
    /// lock; the counts and the number of events they are checked against are written by one statement, so from one
    /// snapshot whatever appends commit meanwhile. Appends never wait for a fill.
    /// </summary>
    private static async Task<int> FillKeyDaysAsync(NpgsqlConnection connection, long tenantId, (long First, long End) days, CancellationToken ct)
    {
        IReadOnlyList<long> missing;
        await using (var read = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct))
        {
            var (filled, current) = await KeyDayStateAsync(connection, read, tenantId, days, ct);
            missing = KeyDayCounts.ToFill(days, filled, current);
            await read.CommitAsync(ct);
        }

        var filledDays = 0;
        foreach (var day in missing.Reverse())
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await ExecuteAsync("SELECT pg_advisory_xact_lock_shared($1, $2)", KeyDayTenantLock, (int)tenantId);
            await ExecuteAsync("SELECT pg_advisory_xact_lock($1, $2)", KeyDayLock, (int)day);
            var (filled, current) = await KeyDayStateAsync(connection, tx, tenantId, (day, day + 1), ct);
            if (KeyDayCounts.ToFill((day, day + 1), filled, current).Count == 0)
            {
                continue;
            }

            await DeleteKeyDaysAsync(connection, tx, tenantId, day, day + 1, ct);
            await ExecuteAsync(
                $"""
                WITH scan AS (
                    SELECT e.type, {ActorKeySql} AS actor, e.ip, e.outcome FROM events_joined e
                    WHERE e.tenant_id = $1 AND e.occurred_at >= $3 AND e.occurred_at < $4),
                actors AS (
                    INSERT INTO actor_day_counts (tenant_id, day, type, actor, events, failures)
                    SELECT $1, $2, type, actor, count(*), count(*) FILTER (WHERE outcome = 'failure') FROM scan WHERE actor IS NOT NULL GROUP BY type, actor),
                ips AS (
                    INSERT INTO ip_day_counts (tenant_id, day, type, ip, events, failures)
                    SELECT $1, $2, type, ip, count(*), count(*) FILTER (WHERE outcome = 'failure') FROM scan WHERE ip IS NOT NULL GROUP BY type, ip),
                {IpSlotCountsSql}
                INSERT INTO key_count_days (tenant_id, day, events)
                SELECT $1, $2, coalesce(sum(c.events), 0) FROM event_counts c WHERE c.tenant_id = $1 AND c.slot >= $5 AND c.slot < $6
                """,
                tenantId, day, EventIndexKeys.FromMicros(KeyDayCounts.StartMicros(day)).UtcDateTime, EventIndexKeys.FromMicros(KeyDayCounts.StartMicros(day + 1)).UtcDateTime,
                day * KeyDayCounts.SlotsPerDay, (day + 1) * KeyDayCounts.SlotsPerDay);
            await tx.CommitAsync(ct);
            filledDays++;

            async Task ExecuteAsync(string sql, params object[] values)
            {
                await using var command = new NpgsqlCommand(sql, connection, tx);
                foreach (var value in values)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                }

                await command.ExecuteNonQueryAsync(ct);
            }
        }

        return filledDays;
    }

    /// <summary>
    /// The rows the counts by IP of a day are filled from, the one read of the events' IPs they make (<c>$1</c> the tenant,
    /// <c>[$3, $4)</c> the day): per event with an IP, its key, quarter-hour slot, type, action and outcome.
    /// </summary>
    private const string IpSlotRowsSql =
        $"SELECT e.ip, {PostgresEventCounts.OccurredSlotSql} AS slot, e.type, e.action, e.outcome FROM events_joined e " +
        "WHERE e.tenant_id = $1 AND e.occurred_at >= $3 AND e.occurred_at < $4 AND e.ip IS NOT NULL";

    /// <summary>
    /// The common table expressions of a day's fill that fill its counts by IP (<see cref="IpSlotCounts"/>, <c>$2</c> the day):
    /// each event's IP under its own key and under its block's (the last byte zero), per slot and type, and per type and action;
    /// the <c>bits</c> written are <see cref="IpSlotCounts.ExactBits"/> and <see cref="IpSlotCounts.BlockBits"/>.
    /// </summary>
    private const string IpSlotCountsSql =
        $"""
        ip_rows AS ({IpSlotRowsSql}),
        ip_keys AS (
            SELECT 128::smallint AS bits, ip, slot, type, action, outcome FROM ip_rows
            UNION ALL SELECT 120::smallint, set_byte(ip, 15, 0), slot, type, action, outcome FROM ip_rows),
        ip_slots AS (
            INSERT INTO ip_slot_counts (tenant_id, day, bits, ip, slot, type, events, failures)
            SELECT $1, $2, bits, ip, slot, type, count(*), count(*) FILTER (WHERE outcome = 'failure') FROM ip_keys GROUP BY bits, ip, slot, type),
        ip_actions AS (
            INSERT INTO ip_action_counts (tenant_id, day, bits, ip, type, action, events, failures)
            SELECT $1, $2, bits, ip, type, action, count(*), count(*) FILTER (WHERE outcome = 'failure') FROM ip_keys GROUP BY bits, ip, type, action)
        """;

    /// <summary>
    /// The filled days of <paramref name="days"/> with the events each held when filled, and the events each day
    /// holds now by the pre-aggregated counts.
    /// </summary>
    private static async Task<(Dictionary<long, long> Filled, Dictionary<long, long> Current)> KeyDayStateAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, (long First, long End) days, CancellationToken ct)
    {
        var filled = new Dictionary<long, long>();
        await ReadAsync("SELECT day, events FROM key_count_days WHERE tenant_id = $1 AND day >= $2 AND day < $3",
            r => filled[r.GetInt64(0)] = r.GetInt64(1), days.First, days.End);
        var current = new Dictionary<long, long>();
        await ReadAsync("SELECT slot, sum(events)::bigint FROM event_counts WHERE tenant_id = $1 AND slot >= $2 AND slot < $3 GROUP BY slot",
            r => KeyDayCounts.AddSlot(current, r.GetInt64(0), r.GetInt64(1)), days.First * KeyDayCounts.SlotsPerDay, days.End * KeyDayCounts.SlotsPerDay);
        return (filled, current);

        async Task ReadAsync(string sql, Action<NpgsqlDataReader> read, long first, long end)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = first });
            command.Parameters.Add(new NpgsqlParameter { Value = end });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                read(reader);
            }
        }
    }

    /// <summary>
    /// Adds the top lists' counts of the days of <paramref name="days"/> that can be read (<see cref="KeyDayCounts.Usable"/>)
    /// to <paramref name="keys"/>, for the filter's type terms, and answers those days; the caller scans the rest.
    /// </summary>
    private static async Task<IReadOnlyList<long>> ReadKeyDaysAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, EventFilter filter, (long First, long End) days, TopKeysBuilder keys, CancellationToken ct)
    {
        var (filled, current) = await KeyDayStateAsync(connection, tx, tenantId, days, ct);
        var usable = KeyDayCounts.Usable(days, filled, current);
        foreach (var run in KeyDayCounts.Runs(usable))
        {
            await ReadAsync("actor_day_counts", "e.actor", reader => keys.AddActor(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)), run);
            await ReadAsync("ip_day_counts", "e.ip", reader => keys.AddIp(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1), reader.GetInt64(2)), run);
        }

        return usable;

        // The sums per key over the day counts' rows of the run that pass the filter's terms (type only, KeyDayCounts.Serve),
        // mapped by the search's own PostgresSearch.Checked: the day counts name their type column as the events do.
        async Task ReadAsync(string table, string key, Action<NpgsqlDataReader> read, (long First, long End) run)
        {
            await using var command = new NpgsqlCommand { Connection = connection, Transaction = tx };
            var terms = CountTerms(command, tenantId, filter, run);
            command.CommandText = $"SELECT {key}, sum(e.events)::bigint, sum(e.failures)::bigint FROM {table} e WHERE e.tenant_id = $1 AND e.day >= $2 AND e.day < $3{terms} GROUP BY {key}";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                read(reader);
            }
        }
    }

    /// <summary>
    /// Forgets the filled days [<paramref name="firstDay"/>, <paramref name="endDay"/>) of a tenant's top-list counts, in the
    /// caller's transaction, after waiting for the fills under way: a purge for the days of its events, an erasure for all
    /// (it changes actors and IPs, no count).
    /// </summary>
    internal static async Task ForgetKeyDaysAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long firstDay, long endDay, CancellationToken ct)
    {
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, $2)", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = KeyDayTenantLock });
            command.Parameters.Add(new NpgsqlParameter { Value = (int)tenantId });
            await command.ExecuteNonQueryAsync(ct);
        }

        await DeleteKeyDaysAsync(connection, tx, tenantId, firstDay, endDay, ct);
    }

    private static async Task DeleteKeyDaysAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long firstDay, long endDay, CancellationToken ct)
    {
        foreach (var table in (string[])["key_count_days", "actor_day_counts", "ip_day_counts", "ip_slot_counts", "ip_action_counts"])
        {
            await using var command = new NpgsqlCommand($"DELETE FROM {table} WHERE tenant_id = $1 AND day >= $2 AND day < $3", connection, tx);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = firstDay });
            command.Parameters.Add(new NpgsqlParameter { Value = endDay });
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Forgets every filled day of a tenant's top-list counts, in the caller's transaction: what an erasure calls.</summary>
    internal static Task ForgetKeyDaysAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, CancellationToken ct) =>
        ForgetKeyDaysAsync(connection, tx, tenantId, long.MinValue, long.MaxValue, ct);
}
