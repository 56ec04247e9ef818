using Npgsql;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IEventTimeRange
{
    public async Task<(DateTimeOffset Oldest, DateTimeOffset Newest)?> GetTimeRangeAsync(string tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return null;
        }

        // Both ends come from the time index of each month: a few seeks, whatever the log's size.
        await using var command = new NpgsqlCommand("SELECT min(occurred_at), max(occurred_at) FROM events WHERE tenant_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(0))
        {
            return null;
        }

        return (new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero));
    }
}
