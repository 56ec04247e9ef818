using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IEventStatsStore
{
    /// <summary>
    /// In one read transaction, so that the counts agree with each other: the slots and the types and
    /// actions from the pre-aggregated counts (<c>event_counts</c>) for the range's whole quarter hours
    /// when the filter only tests what they hold (<see cref="EventCountSlots.Serve"/>), and grouped scans
    /// over the rows a search with the same filter reads (<see cref="SqliteSearch.Where"/>) for the rest
    /// of the range, for other filters and for the top actors and IPs. When the filter tests the type alone,
    /// the top actors and IPs of the range's closed UTC days come from the day counts (<see cref="KeyDayCounts"/>),
    /// filled first, each in its own write, for the days not yet filled or changed since (unless the server's loop fills
    /// them behind, <see cref="SqliteStoreOptions.FillKeyDaysOnCount"/>), and the rest is scanned (<see cref="TopLists"/>).
    /// An IP filter (<see cref="IpSlotCounts.Serve"/>) reads the slots and the types and actions of the range's closed days
    /// that can be read from the counts by IP, filled with the day counts, and scans the rest.
    /// </summary>
    public async Task<EventCounts> CountAsync(string tenant, EventFilter filter, int slotSeconds, int top, CancellationToken ct)
    {
        if (filter.From is not { } from || filter.To is not { } to)
        {
            throw new ArgumentException("a count needs both From and To", nameof(filter));
        }

        var now = _options.Clock.GetUtcNow();
        var closedDays = top > 0 && KeyDayCounts.Serve(filter) ? KeyDayCounts.ClosedDays(from, to, now) : null;
        var ipDays = IpSlotCounts.Serve(filter, slotSeconds) ? KeyDayCounts.ClosedDays(from, to, now) : null;
        if (_options.FillKeyDaysOnCount && (closedDays ?? ipDays) is { } toFill && await ReadAsync(connection => TenantIdAsync(connection, tenant, ct), ct) is { } filling)
        {
            await FillKeyDaysAsync(filling, toFill, ct);
        }

        return await ReadAsync(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return EventCounts.Empty;
            }

            await using var transaction = connection.BeginTransaction(deferred: true);
            IReadOnlyList<string>? emailActors = null;
            if (SqliteSearch.DrivingEmail(filter) is { } email)
            {
                emailActors = await ActorsOfEmailAsync(connection, tenantId.Value, email, ct);
                if (emailActors.Count == 0)
                {
                    return EventCounts.Empty;
                }
            }

            // Free text without a narrower index to drive: only the rows of the blocks that can hold a match are read, in rid order.
            string? textRanges = null;
            if (TextScanCondition(filter, emailActors) is { } condition
                && await TextCandidatesAsync(connection, transaction, tenantId.Value, condition, filter, null, ct) is { } candidates)
            {
                textRanges = RidRangesJson(tenantId.Value, candidates);
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
            return counts.Build(actors, ips) with { TopListDays = days };

            Task ScanKeysAsync(EventFilter part, TopListKey key, int? limit, TopKeysBuilder keys) => key == TopListKey.Actor
                ? ReadGroupsAsync(part, ActorKeySql, 1, $" AND {ActorKeySql} IS NOT NULL", TopLists.LimitSql(limit), reader => keys.AddActor(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)))
                : ReadGroupsAsync(part, IpKeySql, 1, $" AND {IpKeySql} IS NOT NULL", TopLists.LimitSql(limit), reader => keys.AddIp(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1), reader.GetInt64(2)));

            async Task ScanSlotsAndActionsAsync(EventFilter part)
            {
                var baseMicros = Math.DivRem(EventIndexKeys.Micros(part.From!.Value), counts.SlotMicros, out var rest) * counts.SlotMicros - (rest < 0 ? counts.SlotMicros : 0);
                await ReadGroupsAsync(part, "({0}.occurred_at - $base) / $slot, e.type, e.action", 3, "", "", reader =>
                    counts.AddSlotTypeAndAction(baseMicros + (reader.GetInt64(0) * counts.SlotMicros), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)),
                    ("$base", baseMicros), ("$slot", counts.SlotMicros));
            }

            // SELECT keys, count, failures FROM <the search's rows> GROUP BY keys.
            async Task ReadGroupsAsync(EventFilter part, string keys, int keyCount, string condition, string tail, Action<SqliteDataReader> read, params (string Name, long Value)[] extra)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                string source, alias, where;
                if (textRanges is not null)
                {
                    (_, alias, where) = SqliteSearch.Where(command, tenantId.Value, part, null, emailActors, inRanges: true);
                    command.Parameters.AddWithValue("$ranges", textRanges);
                    source = "json_each($ranges) j CROSS JOIN events e NOT INDEXED";
                    where = $"e.rid BETWEEN (j.value ->> 0) AND (j.value ->> 1) AND {where}";
                }
                else
                {
                    (source, alias, where) = ScanSource(command, tenantId.Value, part, emailActors);
                }

                foreach (var (name, value) in extra)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                var keyList = string.Format(System.Globalization.CultureInfo.InvariantCulture, keys, alias);
                var groups = string.Join(", ", Enumerable.Range(1, keyCount));
                command.CommandText =
                    $"SELECT {keyList}, count(*), sum(e.outcome = 'failure') FROM {source} WHERE {where}{condition} GROUP BY {groups}{tail}";
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

                async Task ReadAsync(string table, string keys, Action<SqliteDataReader> read)
                {
                    await using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = IpDaysSql(command, tenantId.Value, filter, filledDays, table, keys);
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        read(reader);
                    }
                }
            }

            // SELECT slot, type, action, events, failures FROM event_counts WHERE <the slots and the filter's terms> GROUP BY slot, type, action.
            async Task ReadAggregateAsync((long First, long End) range)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = AggregateSql(command, tenantId.Value, filter, range);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    counts.AddSlotTypeAndAction(EventCountSlots.StartMicros(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4));
                }
            }
        }, ct);
    }

    /// <summary>
    /// The FROM and WHERE of a grouped scan: the search's own (<see cref="SqliteSearch.Where"/>, so the
    /// rows are the rows a search lists), except that a target's entries join the time index, which
    /// carries every column the counts read (migration 017), instead of the events' 1.4 KB rows, when
    /// no term tests free text. The time index, which the other filters without a driving index scan,
    /// is covering for the same reason.
    /// </summary>
    internal static (string From, string Alias, string Where) ScanSource(SqliteCommand command, long tenantId, EventFilter filter, IReadOnlyList<string>? emailActors)
    {
        var (from, alias, where) = SqliteSearch.Where(command, tenantId, filter, null, emailActors);
        return alias == "x" && filter.Terms.All(InTimeIndex)
            ? ("event_targets x CROSS JOIN events e INDEXED BY ix_events_time ON e.tenant_id = x.tenant_id AND e.occurred_at = x.occurred_at AND e.seq = x.seq", alias, where)
            : (from, alias, where);
    }

    /// <summary>
    /// What the blocks must hold for a grouped scan to read only their rows (free-text blocks, migration 013): the
    /// filter's free-text condition, when the search would scan the time index or an exact action's index. An actor's
    /// or a target's index narrows the rows more; an action's does not: its rows are read one by one all over the
    /// table, a block's in one stretch of rids.
    /// </summary>
    private static TextIndexCondition? TextScanCondition(EventFilter filter, IReadOnlyList<string>? emailActors)
    {
        if (TextIndexCondition.From(filter) is not { } condition)
        {
            return null;
        }

        using var probe = new SqliteCommand();
        var (from, alias, _) = SqliteSearch.Where(probe, 0, filter, null, emailActors);
        return alias == "e" && (from.EndsWith("ix_events_time", StringComparison.Ordinal) || from.EndsWith("ix_events_action", StringComparison.Ordinal)) ? condition : null;
    }

    /// <summary>Whether the time index (migration 017) carries every column the term tests: all but free text.</summary>
    private static bool InTimeIndex(FilterTerm term) => term.Field switch
    {
        FilterField.Text => false,
        FilterField.Any => term.Alternatives.All(terms => terms.All(InTimeIndex)),
        _ => true,
    };

    /// <summary>
    /// The sum over <c>event_counts</c> grouped by slot, type and action (a prefix of its primary key, so
    /// read in key order without sorting) for a filter the counts serve, its parameters added to
    /// <paramref name="command"/>. The terms are mapped by the search's own <see cref="SqliteSearch.Checked"/>:
    /// the counts name their columns as the events do, under the same alias.
    /// </summary>
    internal static string AggregateSql(SqliteCommand command, long tenantId, EventFilter filter, (long First, long End) range)
    {
        var terms = CountTerms(command, tenantId, filter, range);
        return "SELECT e.slot, e.type, e.action, sum(e.events), sum(CASE WHEN e.outcome = 'failure' THEN e.events ELSE 0 END) FROM event_counts e " +
               $"WHERE e.tenant_id = $t AND e.slot >= $first AND e.slot < $end{terms} GROUP BY e.slot, e.type, e.action";
    }

    /// <summary>
    /// The sums per <paramref name="keys"/> over a table of the counts by IP (<see cref="IpSlotCounts"/>: <c>ip_slot_counts</c>
    /// per slot, <c>ip_action_counts</c> per type and action) for the filled <paramref name="days"/>, over the rows of the
    /// filter's <see cref="IpSlotCounts.Bits"/> that pass its terms, mapped by the search's own <see cref="SqliteSearch.Checked"/>
    /// (the counts name their columns as the events do): each day one seek of the primary key, then the IP range.
    /// </summary>
    private static string IpDaysSql(SqliteCommand command, long tenantId, EventFilter filter, IReadOnlyList<long> days, string table, string keys)
    {
        var terms = CountTerms(command, tenantId, filter, (days[0], days[^1] + 1));
        command.Parameters.AddWithValue("$bits", IpSlotCounts.Bits(filter));
        var list = string.Join(", ", days.Select((day, i) =>
        {
            command.Parameters.AddWithValue($"$d{i}", day);
            return $"$d{i}";
        }));
        return $"SELECT {keys}, sum(e.events), sum(e.failures) FROM {table} e WHERE e.tenant_id = $t AND e.day IN ({list}) AND e.bits = $bits{terms} GROUP BY {keys}";
    }

    /// <summary>
    /// Binds <c>$t</c>, <c>$first</c> and <c>$end</c> of a read over pre-aggregated counts (<c>event_counts</c>, the day
    /// counts) and returns the filter's terms as SQL, mapped by the search's own <see cref="SqliteSearch.Checked"/>: the
    /// counts name their columns as the events do, under the same alias.
    /// </summary>
    private static string CountTerms(SqliteCommand command, long tenantId, EventFilter filter, (long First, long End) range)
    {
        var parameters = command.Parameters;
        parameters.AddWithValue("$t", tenantId);
        parameters.AddWithValue("$first", range.First);
        parameters.AddWithValue("$end", range.End);
        var n = 0;
        string Param(object value)
        {
            var name = $"$c{n++}";
            parameters.AddWithValue(name, value is string text ? EventIndexKeys.IndexText(text) : value);
            return name;
        }

        return string.Concat(filter.Terms.Select(t => " AND " + SqliteSearch.Checked(t, Param)));
    }
}
