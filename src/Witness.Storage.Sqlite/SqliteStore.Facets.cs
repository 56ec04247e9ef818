using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IFacetStore
{
    public Task<EventFacets> ListFacetsAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return EventFacets.Empty;
            }

            var actions = await ListAsync(connection, DistinctByIndex("action", ""), tenantId.Value, ct);
            var emails = await ListAsync(connection, $"SELECT DISTINCT email FROM actor_emails WHERE tenant_id = $tenant ORDER BY email LIMIT {EventFacets.MaxValues}", tenantId.Value, ct);
            var categories = new SortedSet<string>(StringComparer.Ordinal);
            var types = new SortedSet<string>(StringComparer.Ordinal);

            // Each action's newest and oldest event: two seeks of ix_events_action per action.
            await using (var command = connection.CreateCommand())
            {
                command.CommandText =
                    """
                    SELECT e.category, e.type FROM events e
                    WHERE e.rid IN (SELECT (SELECT x.rid FROM events x WHERE x.tenant_id = $tenant AND x.action = a.value ORDER BY x.occurred_at DESC, x.seq DESC LIMIT 1) FROM json_each($actions) a
                                    UNION ALL
                                    SELECT (SELECT x.rid FROM events x WHERE x.tenant_id = $tenant AND x.action = a.value ORDER BY x.occurred_at, x.seq LIMIT 1) FROM json_each($actions) a)
                    """;
                command.Parameters.AddWithValue("$tenant", tenantId.Value);
                command.Parameters.AddWithValue("$actions", System.Text.Json.JsonSerializer.Serialize(actions));
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

            categories.UnionWith(await ListAsync(connection,
                $"""
                SELECT DISTINCT category FROM (
                    SELECT category FROM events WHERE tenant_id = $tenant ORDER BY occurred_at DESC, seq DESC LIMIT {EventFacets.RecentEventsForCategories})
                WHERE category IS NOT NULL
                """, tenantId.Value, ct));
            return new EventFacets(actions, [.. categories.Take(EventFacets.MaxValues)], [.. types], emails);
        }, ct);

    /// <summary>
    /// A loose index scan: each step seeks the next larger value in the column's index, so listing
    /// the distinct values costs one seek per value instead of a pass over every event.
    /// </summary>
    private static string DistinctByIndex(string column, string condition) =>
        $"""
        WITH RECURSIVE v(value) AS (
            SELECT MIN({column}) FROM events WHERE tenant_id = $tenant {condition}
            UNION ALL
            SELECT (SELECT MIN({column}) FROM events WHERE tenant_id = $tenant {condition} AND {column} > v.value) FROM v WHERE v.value IS NOT NULL)
        SELECT value FROM v WHERE value IS NOT NULL LIMIT {EventFacets.MaxValues}
        """;

    private static async Task<IReadOnlyList<string>> ListAsync(SqliteConnection connection, string sql, long tenantId, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenantId);
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
