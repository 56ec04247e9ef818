using Npgsql;
using NpgsqlTypes;
using Witness.Alerts;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IAlertStore
{
    public Task<IReadOnlyList<AlertRule>> ListAlertRulesAsync(string tenant, CancellationToken ct) =>
        QueryAsync($"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE tenant = $1 ORDER BY created_at, id", Rows.AlertRule, ct, tenant);

    public Task<IReadOnlyList<AlertRule>> ListEnabledAlertRulesAsync(CancellationToken ct) =>
        QueryAsync($"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE enabled ORDER BY tenant, created_at, id", Rows.AlertRule, ct);

    public async Task<AlertRule?> FindAlertRuleAsync(string tenant, string id, CancellationToken ct) =>
        (await QueryAsync($"SELECT {StoreRows.AlertRuleColumns} FROM alert_rules WHERE tenant = $1 AND id = $2", Rows.AlertRule, ct, tenant, id)).FirstOrDefault();

    public Task SaveAlertRuleAsync(AlertRule rule, CancellationToken ct) =>
        NonQueryAsync(
            $"""
            INSERT INTO alert_rules ({StoreRows.AlertRuleColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, query = excluded.query,
                threshold = excluded.threshold, window_minutes = excluded.window_minutes, group_by = excluded.group_by,
                dimension = excluded.dimension, enabled = excluded.enabled, updated_at = excluded.updated_at
            WHERE alert_rules.tenant = excluded.tenant
            """,
            ct, rule.Id, rule.Tenant, rule.Name, rule.Kind, rule.Query, Nullable(rule.Threshold, NpgsqlDbType.Integer), Nullable(rule.WindowMinutes, NpgsqlDbType.Integer),
            Nullable(rule.GroupBy, NpgsqlDbType.Text), Nullable(rule.Dimension, NpgsqlDbType.Text), rule.Enabled, rule.CreatedAt.UtcDateTime, rule.UpdatedAt.UtcDateTime);

    public async Task<bool> DeleteAlertRuleAsync(string tenant, string id, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            WITH rule AS (DELETE FROM alert_rules WHERE tenant = $1 AND id = $2 RETURNING id),
                 seen AS (DELETE FROM alert_seen WHERE rule_id IN (SELECT id FROM rule))
            SELECT count(*) FROM rule
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync(ct))! > 0;
    }

    public async Task<IReadOnlySet<string>> GetSeenValuesAsync(string ruleId, string actor, CancellationToken ct) =>
        (await QueryAsync("SELECT value FROM alert_seen WHERE rule_id = $1 AND actor = $2", r => r.GetString(0), ct, ruleId, actor)).ToHashSet(StringComparer.Ordinal);

    public Task AddSeenValuesAsync(string ruleId, IReadOnlyCollection<(string Actor, string Value)> pairs, CancellationToken ct) =>
        NonQueryAsync(
            "INSERT INTO alert_seen (rule_id, actor, value) SELECT $1, p.actor, p.value FROM unnest($2::text[], $3::text[]) AS p(actor, value) ON CONFLICT DO NOTHING",
            ct, ruleId, pairs.Select(p => p.Actor).ToArray(), pairs.Select(p => p.Value).ToArray());

    public Task ClearSeenValuesAsync(string ruleId, CancellationToken ct) =>
        NonQueryAsync("DELETE FROM alert_seen WHERE rule_id = $1", ct, ruleId);

    public async Task<long?> GetAlertCursorAsync(string tenant, CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT seq FROM alert_cursors WHERE tenant = $1", r => r.GetInt64(0), ct, tenant);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task SaveAlertCursorAsync(string tenant, long seq, CancellationToken ct) =>
        NonQueryAsync(
            "INSERT INTO alert_cursors (tenant, seq) VALUES ($1, $2) ON CONFLICT (tenant) DO UPDATE SET seq = greatest(alert_cursors.seq, excluded.seq)",
            ct, tenant, seq);

    /// <summary>A typed parameter value for a column that may be NULL (a bare DBNull carries no type).</summary>
    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    /// <summary>Runs one statement as the application role with <paramref name="values"/> as $1, $2, … (an <see cref="NpgsqlParameter"/> is used as given).</summary>
    private async Task NonQueryAsync(string sql, CancellationToken ct, params object[] values)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = Command(connection, sql, values);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct, params object[] values)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = Command(connection, sql, values);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
