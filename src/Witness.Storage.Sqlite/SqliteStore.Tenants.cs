namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : ITenantStore
{
    public Task<TenantDeletion?> DeleteTenantAsync(string tenant, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = connection.BeginTransaction();
            long? id = null;
            long events = 0;
            await using (var head = connection.CreateCommand())
            {
                head.Transaction = tx;
                head.CommandText = "SELECT id, log_size FROM tenants WHERE name = $p0";
                head.Parameters.AddWithValue("$p0", tenant);
                await using var reader = await head.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                {
                    id = reader.GetInt64(0);
                    events = reader.GetInt64(1);
                }
            }

            var keys = await CountRowsAsync(connection, tx, "SELECT count(*) FROM api_keys WHERE tenant = $p0", tenant, ct);
            var users = await CountRowsAsync(connection, tx, "SELECT count(*) FROM console_users WHERE tenant = $p0", tenant, ct);
            var other = await CountRowsAsync(connection, tx,
                "SELECT (SELECT count(*) FROM tenant_settings WHERE tenant = $p0) + (SELECT count(*) FROM catalog_entries WHERE layer = $p0) " +
                "+ (SELECT count(*) FROM alert_rules WHERE tenant = $p0) + (SELECT count(*) FROM webhooks WHERE tenant = $p0)", tenant, ct);
            if (id is null && keys + users + other == 0)
            {
                return null;
            }

            if (id is { } tenantId)
            {
                // The log is the row id range tenant_id * 2^40 + seq; the other tables are keyed by tenant_id.
                await ExecuteAsync(connection, tx, "DELETE FROM events WHERE rid BETWEEN $p0 AND $p1", ct, tenantId << 40, ((tenantId + 1) << 40) - 1);
                foreach (var table in (string[])["event_targets", "merkle_nodes", "checkpoints", "retention_state", "purged_leaf_blocks", "actor_emails", "marked_emails", "event_counts", "key_count_days", "actor_day_counts", "ip_day_counts", "ip_slot_counts", "ip_action_counts"])
                {
                    await ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE tenant_id = $p0", ct, tenantId);
                }

                await DeleteTextBlocksAsync(connection, tx, tenantId, ct);
                await ExecuteAsync(connection, tx, "DELETE FROM tenants WHERE id = $p0", ct, tenantId);
            }

            await ExecuteAsync(connection, tx, "DELETE FROM alert_seen WHERE rule_id IN (SELECT id FROM alert_rules WHERE tenant = $p0)", ct, tenant);
            foreach (var sql in (string[])[
                "DELETE FROM alert_rules WHERE tenant = $p0", "DELETE FROM alert_cursors WHERE tenant = $p0",
                "DELETE FROM webhook_deliveries WHERE tenant = $p0", "DELETE FROM webhooks WHERE tenant = $p0",
                "DELETE FROM log_streams WHERE tenant = $p0",
                "DELETE FROM api_keys WHERE tenant = $p0", "DELETE FROM console_users WHERE tenant = $p0",
                "DELETE FROM tenant_settings WHERE tenant = $p0", "DELETE FROM catalog_entries WHERE layer = $p0"])
            {
                await ExecuteAsync(connection, tx, sql, ct, tenant);
            }

            await ExecuteAsync(connection, "UPDATE catalog_version SET version = version + 1 WHERE id = 1", ct, tx);
            await tx.CommitAsync(ct);
            if (id is { } deleted)
            {
                _tenantIds.TryRemove(tenant, out _);
                // The writer skips email pairs it knows to be committed; under the write lock like every use of the set.
                _knownEmailPairs.RemoveWhere(p => p.Item1 == deleted);
            }

            return new TenantDeletion(events, keys, users);
        }, ct);

    private static async Task<int> CountRowsAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction tx, string sql, string tenant, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p0", tenant);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
