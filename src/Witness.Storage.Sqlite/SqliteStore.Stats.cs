using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IEventStatsStore
{
    /// <summary>
    /// Four grouped scans over the rows a search with the same filter reads (<see cref="SqliteSearch.Where"/>),
    /// in one read transaction so that the counts agree with each other.
    /// </summary>
    public Task<EventCounts> CountAsync(string tenant, EventFilter filter, int slotSeconds, int top, CancellationToken ct)
    {
        if (filter.From is not { } from || filter.To is null)
        {
            throw new ArgumentException("a count needs both From and To", nameof(filter));
        }

        return ReadAsync(async connection =>
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

            var slotMicros = slotSeconds * 1_000_000L;
            var baseMicros = Math.DivRem(EventIndexKeys.Micros(from), slotMicros, out var rest) * slotMicros - (rest < 0 ? slotMicros : 0);
            var slots = new List<SlotCount>();
            await ReadGroupsAsync("({0}.occurred_at - $base) / $slot", 1, "", "", reader =>
                slots.Add(new SlotCount(EventIndexKeys.FromMicros(baseMicros + (reader.GetInt64(0) * slotMicros)), reader.GetInt64(1), reader.GetInt64(2))),
                ("$base", baseMicros), ("$slot", slotMicros));

            var typesAndActions = new List<TypeActionCount>();
            await ReadGroupsAsync("e.type, e.action", 2, "", "", reader =>
                typesAndActions.Add(new TypeActionCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3))));

            var actors = new List<KeyCount>();
            var ips = new List<KeyCount>();
            if (top > 0)
            {
                await ReadGroupsAsync("coalesce(e.actor_id, e.actor_email)", 1, " AND coalesce(e.actor_id, e.actor_email) IS NOT NULL", $" ORDER BY 2 DESC, 1 LIMIT {top}", reader =>
                    actors.Add(new KeyCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2))));
                await ReadGroupsAsync("e.ip", 1, " AND e.ip IS NOT NULL", $" ORDER BY 2 DESC, 1 LIMIT {top}", reader =>
                    ips.Add(new KeyCount(IpKeyText.Of(reader.GetFieldValue<byte[]>(0)), reader.GetInt64(1), reader.GetInt64(2))));
            }

            return new EventCounts(slots, typesAndActions, actors, ips);

            // SELECT keys, count, failures FROM <the search's rows> GROUP BY keys.
            async Task ReadGroupsAsync(string keys, int keyCount, string condition, string tail, Action<SqliteDataReader> read, params (string Name, long Value)[] extra)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var (source, alias, where) = SqliteSearch.Where(command, tenantId.Value, filter, null, emailActors);
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
        }, ct);
    }
}
