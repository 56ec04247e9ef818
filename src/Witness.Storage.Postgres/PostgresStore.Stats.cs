using System.Data;
using Npgsql;
using Witness.Search;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IEventStatsStore
{
    /// <summary>
    /// Four grouped scans over the rows a search with the same filter reads (<see cref="PostgresSearch.Where"/>),
    /// in one repeatable-read transaction so that the counts agree with each other.
    /// </summary>
    public async Task<EventCounts> CountAsync(string tenant, EventFilter filter, int slotSeconds, int top, CancellationToken ct)
    {
        if (filter.From is null || filter.To is null)
        {
            throw new ArgumentException("a count needs both From and To", nameof(filter));
        }

        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return EventCounts.Empty;
        }

        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var slots = new List<SlotCount>();
        await ReadGroupsAsync("date_bin(make_interval(secs => {1}), {0}.occurred_at, timestamptz '1970-01-01 00:00:00+00')", 1, "", "", reader =>
            slots.Add(new SlotCount(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetInt64(1), reader.GetInt64(2))), slotSeconds);

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

        await transaction.CommitAsync(ct);
        return new EventCounts(slots, typesAndActions, actors, ips);

        // SELECT keys, count, failures FROM <the search's rows> GROUP BY keys.
        async Task ReadGroupsAsync(string keys, int keyCount, string condition, string tail, Action<NpgsqlDataReader> read, int? slot = null)
        {
            await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            var (source, alias, where) = PostgresSearch.Where(command, tenantId.Value, filter, null);
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
    }
}
