namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IEventTimeRange
{
    public Task<(DateTimeOffset Oldest, DateTimeOffset Newest)?> GetTimeRangeAsync(string tenant, CancellationToken ct) =>
        ReadAsync<(DateTimeOffset Oldest, DateTimeOffset Newest)?>(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return null;
            }

            // Both ends come from the time index: two seeks, whatever the log's size.
            await using var command = connection.CreateCommand();
            command.CommandText =
                """
                SELECT (SELECT MIN(occurred_at) FROM events WHERE tenant_id = $t),
                       (SELECT MAX(occurred_at) FROM events WHERE tenant_id = $t)
                """;
            command.Parameters.AddWithValue("$t", tenantId.Value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct) || reader.IsDBNull(0))
            {
                return null;
            }

            return (EventIndexKeys.FromMicros(reader.GetInt64(0)), EventIndexKeys.FromMicros(reader.GetInt64(1)));
        }, ct);
}
