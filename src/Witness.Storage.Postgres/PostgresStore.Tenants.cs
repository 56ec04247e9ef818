using Npgsql;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : ITenantStore
{
    public async Task<TenantDeletion?> DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        // As the role that owns the schema: the application role may never delete events or keys.
        await using var connection = await OpenOwnerAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long? id = null;
        long events = 0;
        // The head row's lock is the one appends take, so no append of the tenant runs meanwhile.
        await using (var head = new NpgsqlCommand("SELECT id, log_size FROM tenants WHERE name = $1 FOR UPDATE", connection, tx))
        {
            head.Parameters.Add(new NpgsqlParameter { Value = tenant });
            await using var reader = await head.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                id = reader.GetInt64(0);
                events = reader.GetInt64(1);
            }
        }

        var keys = await ExecuteForTenantAsync(connection, tx, "DELETE FROM api_keys WHERE tenant = $1", tenant, ct);
        var users = await ExecuteForTenantAsync(connection, tx, "DELETE FROM console_users WHERE tenant = $1", tenant, ct);
        var other = await ExecuteForTenantAsync(connection, tx, "DELETE FROM alert_seen WHERE rule_id IN (SELECT id FROM alert_rules WHERE tenant = $1)", tenant, ct);
        foreach (var sql in (string[])[
            "DELETE FROM alert_rules WHERE tenant = $1", "DELETE FROM alert_cursors WHERE tenant = $1",
            "DELETE FROM webhook_deliveries WHERE tenant = $1", "DELETE FROM webhooks WHERE tenant = $1",
            "DELETE FROM log_streams WHERE tenant = $1",
            "DELETE FROM tenant_settings WHERE tenant = $1", "DELETE FROM catalog_entries WHERE layer = $1"])
        {
            other += await ExecuteForTenantAsync(connection, tx, sql, tenant, ct);
        }

        if (id is null && keys + users + other == 0)
        {
            return null;
        }

        if (id is { } tenantId)
        {
            foreach (var table in (string[])["events", "event_ids", "event_targets", "merkle_nodes", "checkpoints", "retention_state", "purged_leaf_blocks", "event_counts", "key_count_days", "actor_day_counts", "ip_day_counts", "ip_slot_counts", "ip_action_counts", "text_blocks", "text_backlog", "event_personal", "text_blocks_stale", "split_rows_from"])
            {
                await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE tenant_id = $1", connection, tx);
                delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                await delete.ExecuteNonQueryAsync(ct);
            }

            await using var row = new NpgsqlCommand("DELETE FROM tenants WHERE id = $1", connection, tx);
            row.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await row.ExecuteNonQueryAsync(ct);
        }

        await using (var bump = new NpgsqlCommand(BumpCatalogVersion, connection, tx))
        {
            await bump.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        _tenantIds.TryRemove(tenant, out _);
        return new TenantDeletion(events, keys, users);
    }

    private static async Task<int> ExecuteForTenantAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, string tenant, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return await command.ExecuteNonQueryAsync(ct);
    }
}
