using Npgsql;
using NpgsqlTypes;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IFacetStore
{
    public async Task<EventFacets> ListFacetsAsync(string tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return EventFacets.Empty;
        }

        var actions = await ListValuesAsync(connection, SkipScan("action", ""), tenantId.Value, null, ct);
        // The emails of rows stored before split rows are in the events row, those of split rows (029) in event_personal.
        var emails = new SortedSet<string>(await ListValuesAsync(connection, SkipScan("actor_email", "AND actor_email IS NOT NULL"), tenantId.Value, null, ct), StringComparer.Ordinal);
        emails.UnionWith(await ListValuesAsync(connection, SkipScan("email", "AND email IS NOT NULL", "event_personal"), tenantId.Value, null, ct));

        // Each action's newest and oldest event: two seeks of ix_events_action per action.
        var categories = new SortedSet<string>(StringComparer.Ordinal);
        var types = new SortedSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            """
            SELECT x.category, x.type
            FROM unnest($2::text[]) AS a(action)
            CROSS JOIN LATERAL (
                (SELECT category, type FROM events WHERE tenant_id = $1 AND action = a.action ORDER BY occurred_at DESC, seq DESC LIMIT 1)
                UNION ALL
                (SELECT category, type FROM events WHERE tenant_id = $1 AND action = a.action ORDER BY occurred_at, seq LIMIT 1)) AS x
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = actions.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(0))
                {
                    categories.Add(reader.GetString(0));
                }

                types.Add(reader.GetString(1));
            }
        }

        categories.UnionWith(await ListValuesAsync(connection,
            """
            SELECT DISTINCT category FROM (
                SELECT category FROM events WHERE tenant_id = $1 ORDER BY occurred_at DESC, seq DESC LIMIT $2) AS recent
            WHERE category IS NOT NULL
            """, tenantId.Value, EventFacets.RecentEventsForCategories, ct));
        return new EventFacets(actions, [.. categories.Take(EventFacets.MaxValues)], [.. types], [.. emails.Take(EventFacets.MaxValues)]);
    }

    /// <summary>
    /// A skip scan (PostgreSQL has no loose index scan of its own): each step of the recursion seeks
    /// the next larger value in the column's index, so listing the distinct values costs one seek per
    /// value and month instead of reading every event.
    /// </summary>
    private static string SkipScan(string column, string condition, string table = "events") =>
        $"""
        WITH RECURSIVE v(value) AS (
            (SELECT {column} FROM {table} WHERE tenant_id = $1 {condition} ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE tenant_id = $1 {condition} AND {column} > v.value ORDER BY {column} LIMIT 1)
            FROM v WHERE v.value IS NOT NULL)
        SELECT value FROM v WHERE value IS NOT NULL LIMIT {EventFacets.MaxValues}
        """;

    private static async Task<List<string>> ListValuesAsync(NpgsqlConnection connection, string sql, long tenantId, int? limit, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        if (limit is { } n)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = n });
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
