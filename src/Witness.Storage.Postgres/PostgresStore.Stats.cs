using System.Data;
using Npgsql;
using Witness.Search;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IEventStatsStore
{
    /// <summary>
    /// In one repeatable-read transaction, so that the counts agree with each other: the slots and the
    /// types and actions from the pre-aggregated counts (<c>event_counts</c>) for the range's whole quarter
    /// hours when the filter only tests what they hold (<see cref="EventCountSlots.Serve"/>), and grouped
    /// scans over the rows a search with the same filter reads (<see cref="PostgresSearch.Where"/>) for the
    /// rest of the range, for other filters and for the top actors and IPs. When the filter tests the type alone,
    /// the top actors and IPs of the range's closed UTC days come from the day counts (<see cref="KeyDayCounts"/>),
    /// filled first, one transaction per day, for the days not yet filled or changed since (unless the server's loop fills
    /// them behind, <see cref="PostgresStoreOptions.FillKeyDaysOnCount"/>), and the rest is scanned (<see cref="TopLists"/>).
    /// An IP filter (<see cref="IpSlotCounts.Serve"/>) reads the slots and the types and actions of the range's closed days
    /// that can be read from the counts by IP, filled with the day counts, and scans the rest.
    /// </summary>
    public async Task<EventCounts> CountAsync(string tenant, EventFilter filter, int slotSeconds, int top, CancellationToken ct)
    {
        if (filter.From is not { } from || filter.To is not { } to)
        {
            throw new ArgumentException("a count needs both From and To", nameof(filter));
        }

        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return EventCounts.Empty;
        }

        var now = _options.Clock.GetUtcNow();
        var closedDays = top > 0 && KeyDayCounts.Serve(filter) ? KeyDayCounts.ClosedDays(from, to, now) : null;
        var ipDays = IpSlotCounts.Serve(filter, slotSeconds) ? KeyDayCounts.ClosedDays(from, to, now) : null;
        if (_options.FillKeyDaysOnCount && (closedDays ?? ipDays) is { } toFill)
        {
            await FillKeyDaysAsync(connection, tenantId.Value, toFill, ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        if (filter.Terms.Any(t => t is { Field: FilterField.Target, Negated: false }))
        {
            // A target's scans probe the time index once per entry of the target (~17,000 for a month of one of 60 targets at
            // 1M events): measured on 2 loaded cores, two parallel workers made them slower and their slow runs slower still
            // (bench/RESULTS.md, "Counts by IP"), so they run in the connection's own process.
            await using var serial = new NpgsqlCommand("SET LOCAL max_parallel_workers_per_gather = 0", connection, transaction);
            await serial.ExecuteNonQueryAsync(ct);
        }

        // Free text without an actor or target term to drive: only the rows of the blocks that can hold a match are read.
        long[][]? textRuns = null;
        if (TextScanCondition(filter) is { } condition
            && await TextCandidatesAsync(connection, transaction, tenantId.Value, condition, filter, ct) is { } candidates)
        {
            var runs = TextBlockSearch.SeqRuns(candidates);
            textRuns = [[.. runs.Select(r => r.First)], [.. runs.Select(r => r.Last)]];
        }

        var counts = new EventCountsBuilder(slotSeconds);
        if (ipDays is { } ipRange)
        {
            var (filled, current) = await KeyDayStateAsync(connection, transaction, tenantId.Value, ipRange, ct);
            await counts.CountByIpDaysAsync(filter, KeyDayCounts.Usable(ipRange, filled, current), ReadIpDaysAsync, ScanSlotsAndActionsAsync);
        }
        else
        {
            await counts.CountAsync(filter, from, to, ReadAggregateAsync, ScanSlotsAndActionsAsync);
        }

        var (actors, ips, days) = await TopLists.CountAsync(filter, top, closedDays,
            (closed, keys) => ReadKeyDaysAsync(connection, transaction, tenantId.Value, filter, closed, keys, ct), ScanKeysAsync);
        await transaction.CommitAsync(ct);
        return counts.Build(actors, ips) with { TopListDays = days };

        Task ScanKeysAsync(EventFilter part, TopListKey key, int? limit, TopKeysBuilder keys) => key == TopListKey.Actor
            ? ReadGroupsAsync(part, ActorKeySql, 1, $" AND {ActorKeySql} IS NOT NULL", TopLists.LimitSql(limit), reader => keys.AddActor(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)))
            : ReadGroupsAsync(part, "e.ip", 1, " AND e.ip IS NOT NULL", TopLists.LimitSql(limit), reader => keys.AddIp(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1), reader.GetInt64(2)));

        async Task ScanSlotsAndActionsAsync(EventFilter part)
        {
            await ReadGroupsAsync(part, "date_bin(make_interval(secs => {1}), {0}.occurred_at, timestamptz '1970-01-01 00:00:00+00'), e.type, e.action", 3, "", "", reader =>
                counts.AddSlotTypeAndAction(EventIndexKeys.Micros(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero)), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)), slotSeconds);
        }

        // SELECT keys, count, failures FROM <the search's rows> GROUP BY keys.
        async Task ReadGroupsAsync(EventFilter part, string keys, int keyCount, string condition, string tail, Action<NpgsqlDataReader> read, int? slot = null)
        {
            await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            string source, alias, where;
            if (textRuns is not null)
            {
                // Each run is read on its own through the seq key (LATERAL, OFFSET 0 keeps it from being flattened into a walk of
                // a whole index) and checked outside: with the range's conditions inside, the planner may read each run from the
                // time index, the whole month once per run. A column of the side row is read only when the scan tests or groups
                // by it: each one read joins every row of the runs to its side row.
                (_, alias, where) = PostgresSearch.Where(command, tenantId.Value, part, null, textRuns);
                var tested = where + keys + condition;
                var columns = TextRowColumns + string.Concat(PersonalColumns.Where(c => tested.Contains(c, StringComparison.Ordinal)).Select(c => ", " + c));
                source = "unnest($2::bigint[], $3::bigint[]) AS r(first_seq, last_seq) CROSS JOIN LATERAL " +
                         $"(SELECT {columns} FROM events_joined e WHERE e.tenant_id = $1 AND e.seq BETWEEN r.first_seq AND r.last_seq OFFSET 0) e";
            }
            else
            {
                (source, alias, where) = ScanSource(command, tenantId.Value, part);
            }

            var slotParameter = "";
            if (slot is { } seconds)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (double)seconds });
                slotParameter = $"${command.Parameters.Count}";
            }

            var keyList = string.Format(System.Globalization.CultureInfo.InvariantCulture, keys, alias, slotParameter);
            var groups = string.Join(", ", Enumerable.Range(1, keyCount));
            command.CommandText =
                $"SELECT {keyList}, count(*), count(*) FILTER (WHERE e.outcome = 'failure') FROM {source} WHERE {where}{condition} GROUP BY {groups}{tail}";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                read(reader);
            }
        }

        // The slots, then the types and actions, of the filled days from the counts by IP.
        async Task ReadIpDaysAsync(IReadOnlyList<long> filledDays)
        {
            await ReadAsync("ip_slot_counts", "e.slot", reader => counts.AddSlot(EventCountSlots.StartMicros(reader.GetInt64(0)), reader.GetInt64(1), reader.GetInt64(2)));
            await ReadAsync("ip_action_counts", "e.type, e.action", reader => counts.AddTypeAndAction(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));

            async Task ReadAsync(string table, string keys, Action<NpgsqlDataReader> read)
            {
                await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
                command.CommandText = IpDaysSql(command, tenantId.Value, filter, filledDays, table, keys);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    read(reader);
                }
            }
        }

        // SELECT keys, events, failures FROM event_counts WHERE <the slots and the filter's terms> GROUP BY keys, for the
        // slots and for the types and actions apart: PostgreSQL groups each by hash, and one read by slot, type and
        // action together would send the client tens of thousands of groups for a month instead of a few thousand.
        async Task ReadAggregateAsync((long First, long End) range)
        {
            await ReadAsync("e.slot", reader => counts.AddSlot(EventCountSlots.StartMicros(reader.GetInt64(0)), reader.GetInt64(1), reader.GetInt64(2)));
            await ReadAsync("e.type, e.action", reader => counts.AddTypeAndAction(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));

            async Task ReadAsync(string keys, Action<NpgsqlDataReader> read)
            {
                await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
                command.CommandText = AggregateSql(command, tenantId.Value, filter, range, keys);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    read(reader);
                }
            }
        }
    }

    /// <summary>
    /// The FROM and WHERE of a grouped scan: the search's own (<see cref="PostgresSearch.Where"/>, so the
    /// rows are the rows a search lists). A target's entries are also joined on <c>occurred_at</c>, so that
    /// the planner can read the time index, which includes every column the counts read (migration 017),
    /// instead of the events' heap rows; the IP index is the planner's choice like any other.
    /// </summary>
    internal static (string From, string Alias, string Where) ScanSource(NpgsqlCommand command, long tenantId, EventFilter filter)
    {
        var (from, alias, where) = PostgresSearch.Where(command, tenantId, filter, null);
        return alias == "x"
            ? ("event_targets x JOIN events_joined e ON e.tenant_id = x.tenant_id AND e.occurred_at = x.occurred_at AND e.seq = x.seq AND e.received_at = x.received_at", alias, where)
            : (from, alias, where);
    }

    /// <summary>The columns of a block's rows a grouped scan reads: never the body, and those of the side row only when used (<see cref="PersonalColumns"/>).</summary>
    private const string TextRowColumns =
        "e.tenant_id, e.seq, e.received_at, e.occurred_at, e.type, e.action, e.outcome, e.category, e.actor_id, e.public_text";

    /// <summary>The columns of <c>events_joined</c> that read a split row's side row.</summary>
    private static readonly string[] PersonalColumns = ["e.actor_email", "e.ip", "e.search_text"];

    /// <summary>
    /// What the blocks must hold for a grouped scan to read only their rows (free-text blocks, migration 013): the
    /// filter's free-text condition, when no positive actor or target term narrows the rows more through its index.
    /// An exact action's index does not: its rows are read one by one all over the table, a block's in one stretch of the seq key.
    /// </summary>
    private static TextIndexCondition? TextScanCondition(EventFilter filter) =>
        filter.Terms.Any(t => !t.Negated && t.Field is FilterField.Actor or FilterField.Target) ? null : TextIndexCondition.From(filter);

    /// <summary>
    /// The sum over <c>event_counts</c> grouped by <paramref name="keys"/> for a filter the counts serve, its parameters added to
    /// <paramref name="command"/> by position. The terms are mapped by the search's own <see cref="PostgresSearch.Checked"/>:
    /// the counts name their columns as the events do, under the same alias.
    /// </summary>
    internal static string AggregateSql(NpgsqlCommand command, long tenantId, EventFilter filter, (long First, long End) range, string keys)
    {
        var terms = CountTerms(command, tenantId, filter, range);
        return $"SELECT {keys}, sum(e.events)::bigint, coalesce(sum(e.events) FILTER (WHERE e.outcome = 'failure'), 0)::bigint FROM event_counts e " +
               $"WHERE e.tenant_id = $1 AND e.slot >= $2 AND e.slot < $3{terms} GROUP BY {keys}";
    }

    /// <summary>
    /// The sums per <paramref name="keys"/> over a table of the counts by IP (<see cref="IpSlotCounts"/>: <c>ip_slot_counts</c>
    /// per slot, <c>ip_action_counts</c> per type and action) for the filled <paramref name="days"/>, over the rows of the
    /// filter's <see cref="IpSlotCounts.Bits"/> that pass its terms, mapped by the search's own <see cref="PostgresSearch.Checked"/>
    /// (the counts name their columns as the events do): each day one descent of the primary key, then the IP range. The
    /// range's bounds (<c>$2</c>, <c>$3</c>) are bound but not tested: with them the planner walks every day's rows.
    /// </summary>
    private static string IpDaysSql(NpgsqlCommand command, long tenantId, EventFilter filter, IReadOnlyList<long> days, string table, string keys)
    {
        var terms = CountTerms(command, tenantId, filter, (days[0], days[^1] + 1));
        command.Parameters.Add(new NpgsqlParameter { Value = days.ToArray() });
        var list = command.Parameters.Count;
        command.Parameters.Add(new NpgsqlParameter { Value = (short)IpSlotCounts.Bits(filter) });
        return $"SELECT {keys}, sum(e.events)::bigint, sum(e.failures)::bigint FROM {table} e " +
               $"WHERE e.tenant_id = $1 AND e.day = ANY(${list}) AND e.bits = ${list + 1}{terms} GROUP BY {keys}";
    }

    /// <summary>
    /// Binds <c>$1</c> (tenant), <c>$2</c> and <c>$3</c> (the range) of a read over pre-aggregated counts
    /// (<c>event_counts</c>, the day counts) and returns the filter's terms as SQL, their parameters added by position,
    /// mapped by the search's own <see cref="PostgresSearch.Checked"/>: the counts name their columns as the events do.
    /// </summary>
    private static string CountTerms(NpgsqlCommand command, long tenantId, EventFilter filter, (long First, long End) range)
    {
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter { Value = tenantId });
        parameters.Add(new NpgsqlParameter { Value = range.First });
        parameters.Add(new NpgsqlParameter { Value = range.End });
        string Param(object value)
        {
            parameters.Add(new NpgsqlParameter { Value = value is string text ? EventIndexKeys.IndexText(text) : value });
            return $"${parameters.Count}";
        }

        return string.Concat(filter.Terms.Select(t => " AND " + PostgresSearch.Checked(t, Param)));
    }
}
