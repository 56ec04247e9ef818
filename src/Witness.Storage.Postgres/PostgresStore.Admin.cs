using System.Runtime.CompilerServices;
using Npgsql;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// Saves a checkpoint larger than the latest one saved, chained to it (<c>previous_size</c>), and records
    /// it as the latest in the tenant row, under the tenant row's lock so instances saving at once take
    /// turns; a checkpoint no larger than the latest (another instance signed a later head first, or the
    /// same one) is not saved.
    /// </summary>
    public async Task SaveCheckpointAsync(string tenant, StoredCheckpoint checkpoint, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await InsertCheckpointAsync(connection, null, tenant, checkpoint, ct);
    }

    private static async Task InsertCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenant, StoredCheckpoint checkpoint, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            WITH head AS (SELECT id, checkpoint_size FROM tenants WHERE name = $1 FOR UPDATE),
            saved AS (
                INSERT INTO checkpoints (tenant_id, size, root, note, created_at, previous_size)
                SELECT id, $2, $3, $4, $5, checkpoint_size FROM head WHERE checkpoint_size < $2
                ON CONFLICT (tenant_id, size) DO NOTHING
                RETURNING tenant_id)
            UPDATE tenants SET checkpoint_size = $2 FROM saved WHERE tenants.id = saved.tenant_id
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Size });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.RootHash });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Note });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.CreatedAt.UtcDateTime });
        await command.ExecuteNonQueryAsync(ct);
    }

    public Task<StoredCheckpoint?> LatestCheckpointAsync(string tenant, CancellationToken ct) =>
        CheckpointQueryAsync(tenant, "ORDER BY c.size DESC LIMIT 1", 0, ct);

    public Task<StoredCheckpoint?> CheckpointAtLeastAsync(string tenant, long size, CancellationToken ct) =>
        CheckpointQueryAsync(tenant, "AND c.size >= $2 ORDER BY c.size LIMIT 1", size, ct);

    private async Task<StoredCheckpoint?> CheckpointQueryAsync(string tenant, string tail, long size, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT c.size, c.root, c.note, c.created_at FROM checkpoints c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $1 {tail}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        if (tail.Contains("$2", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = size });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadCheckpoint(reader) : null;
    }

    public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT c.size, c.root, c.note, c.created_at FROM checkpoints c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $1 ORDER BY c.size", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return ReadCheckpoint(reader);
        }
    }

    private static StoredCheckpoint ReadCheckpoint(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero));

    public async Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("INSERT INTO api_keys (key_id, secret_hash, tenant, scopes, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key.KeyId });
        command.Parameters.Add(new NpgsqlParameter { Value = key.SecretHash });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)key.Tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = string.Join(' ', key.Scopes) });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = key.CreatedAt.UtcDateTime });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT {ApiKeyColumns} FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadApiKey(reader) : null;
    }

    public async Task<TenantSettings> GetSettingsAsync(string tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT retention_days, time_zone, strict_mode, legal_hold, personal_data_days FROM tenant_settings WHERE tenant = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new TenantSettings
            {
                RetentionDays = reader.GetInt32(0),
                TimeZone = reader.GetString(1),
                StrictMode = reader.GetBoolean(2),
                LegalHold = reader.GetBoolean(3),
                PersonalDataDays = reader.IsDBNull(4) ? null : reader.GetInt32(4),
            }
            : TenantSettings.Default;
    }

    public async Task SaveSettingsAsync(string tenant, TenantSettings settings, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO tenant_settings (tenant, retention_days, time_zone, strict_mode, legal_hold, personal_data_days)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant) DO UPDATE SET retention_days = excluded.retention_days, time_zone = excluded.time_zone,
                strict_mode = excluded.strict_mode, legal_hold = excluded.legal_hold, personal_data_days = excluded.personal_data_days
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.RetentionDays });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.TimeZone });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.StrictMode });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.LegalHold });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.PersonalDataDays ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(ct);
    }
}
