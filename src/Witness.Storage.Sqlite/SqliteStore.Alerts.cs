using Microsoft.Data.Sqlite;
using Witness.Alerts;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IAlertStore
{
    public Task<IReadOnlyList<AlertRule>> ListAlertRulesAsync(string tenant, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AlertRule>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE tenant = $p0 ORDER BY created_at, id", Rows.AlertRule, ct, tenant), ct);

    public Task<IReadOnlyList<AlertRule>> ListEnabledAlertRulesAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AlertRule>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE enabled = 1 ORDER BY tenant, created_at, id", Rows.AlertRule, ct), ct);

    public Task<AlertRule?> FindAlertRuleAsync(string tenant, string id, CancellationToken ct) =>
        ReadAsync(async connection =>
            await QueryRowAsync(connection, null, $"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE tenant = $p0 AND id = $p1", Rows.AlertRule, ct, tenant, id), ct);

    public Task SaveAlertRuleAsync(AlertRule rule, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                $"""
                INSERT INTO alert_rules ({StoreRows.AlertRuleColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, query = excluded.query,
                    threshold = excluded.threshold, window_minutes = excluded.window_minutes, group_by = excluded.group_by,
                    dimension = excluded.dimension, enabled = excluded.enabled, updated_at = excluded.updated_at
                WHERE alert_rules.tenant = excluded.tenant
                """,
                ct, rule.Id, rule.Tenant, rule.Name, rule.Kind, rule.Query, (object?)rule.Threshold ?? DBNull.Value, (object?)rule.WindowMinutes ?? DBNull.Value,
                (object?)rule.GroupBy ?? DBNull.Value, (object?)rule.Dimension ?? DBNull.Value, rule.Enabled,
                rule.CreatedAt.ToUnixTimeMilliseconds(), rule.UpdatedAt.ToUnixTimeMilliseconds());
            return 0;
        }, ct);

    public Task<bool> DeleteAlertRuleAsync(string tenant, string id, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var delete = Prepare(connection, tx, "DELETE FROM alert_rules WHERE tenant = $p0 AND id = $p1", [tenant, id]);
            var deleted = await delete.ExecuteNonQueryAsync(ct) > 0;
            if (deleted)
            {
                await ExecuteAsync(connection, tx, "DELETE FROM alert_seen WHERE rule_id = $p0", ct, id);
            }

            await tx.CommitAsync(ct);
            return deleted;
        }, ct);

    public Task<IReadOnlySet<string>> GetSeenValuesAsync(string ruleId, string actor, CancellationToken ct) =>
        ReadAsync<IReadOnlySet<string>>(async connection =>
            (await QueryListAsync(connection, null, "SELECT value FROM alert_seen WHERE rule_id = $p0 AND actor = $p1", r => r.GetString(0), ct, ruleId, actor))
                .ToHashSet(StringComparer.Ordinal), ct);

    public Task AddSeenValuesAsync(string ruleId, IReadOnlyCollection<(string Actor, string Value)> pairs, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var insert = Prepare(connection, tx, "INSERT OR IGNORE INTO alert_seen (rule_id, actor, value) VALUES ($p0, $p1, $p2)", [ruleId, "", ""]);
            foreach (var (actor, value) in pairs)
            {
                insert.Parameters["$p1"].Value = actor;
                insert.Parameters["$p2"].Value = value;
                await insert.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
            return 0;
        }, ct);

    public Task ClearSeenValuesAsync(string ruleId, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null, "DELETE FROM alert_seen WHERE rule_id = $p0", ct, ruleId);
            return 0;
        }, ct);

    public Task<long?> GetAlertCursorAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            var rows = await QueryListAsync(connection, null, "SELECT seq FROM alert_cursors WHERE tenant = $p0", r => r.GetInt64(0), ct, tenant);
            return rows.Count > 0 ? rows[0] : (long?)null;
        }, ct);

    public Task SaveAlertCursorAsync(string tenant, long seq, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                "INSERT INTO alert_cursors (tenant, seq) VALUES ($p0, $p1) ON CONFLICT (tenant) DO UPDATE SET seq = max(seq, excluded.seq)", ct, tenant, seq);
            return 0;
        }, ct);
}
