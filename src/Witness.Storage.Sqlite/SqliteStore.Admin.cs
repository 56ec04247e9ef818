using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Saves a checkpoint larger than the latest one saved, chained to it (<c>previous_size</c>), and records
    /// it as the latest in the tenant row; a checkpoint no larger than the latest (signed concurrently, or
    /// the same again) is not saved.
    /// </summary>
    public Task SaveCheckpointAsync(string tenant, StoredCheckpoint checkpoint, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            var saved = await InsertCheckpointAsync(connection, tx, tenant, checkpoint, ct);
            await tx.CommitAsync(ct);
            return saved;
        }, ct);

    private static async Task<int> InsertCheckpointAsync(SqliteConnection connection, SqliteTransaction tx, string tenant, StoredCheckpoint checkpoint, CancellationToken ct)
    {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText =
                """
                INSERT OR IGNORE INTO checkpoints (tenant_id, size, root, note, created_at, previous_size)
                SELECT id, $size, $root, $note, $created, checkpoint_size FROM tenants WHERE name = $tenant AND checkpoint_size < $size;
                UPDATE tenants SET checkpoint_size = $size WHERE name = $tenant AND checkpoint_size < $size;
                """;
            command.Parameters.AddWithValue("$size", checkpoint.Size);
            command.Parameters.AddWithValue("$root", checkpoint.RootHash);
            command.Parameters.AddWithValue("$note", checkpoint.Note);
            command.Parameters.AddWithValue("$created", checkpoint.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$tenant", tenant);
            return await command.ExecuteNonQueryAsync(ct);
    }

    public Task<StoredCheckpoint?> LatestCheckpointAsync(string tenant, CancellationToken ct) =>
        CheckpointQueryAsync(tenant, "ORDER BY c.size DESC LIMIT 1", 0, ct);

    public Task<StoredCheckpoint?> CheckpointAtLeastAsync(string tenant, long size, CancellationToken ct) =>
        CheckpointQueryAsync(tenant, "AND c.size >= $size ORDER BY c.size LIMIT 1", size, ct);

    private Task<StoredCheckpoint?> CheckpointQueryAsync(string tenant, string tail, long size, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT c.size, c.root, c.note, c.created_at FROM checkpoints c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $tenant {tail}";
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$size", size);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? ReadCheckpoint(reader) : null;
        }, ct);

    public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        await using (connection)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT c.size, c.root, c.note, c.created_at FROM checkpoints c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $tenant ORDER BY c.size";
            command.Parameters.AddWithValue("$tenant", tenant);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return ReadCheckpoint(reader);
            }
        }
    }

    private static StoredCheckpoint ReadCheckpoint(SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)));

    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO api_keys (key_id, secret_hash, tenant, scopes, name, created_at) VALUES ($id, $hash, $tenant, $scopes, $name, $created)";
            command.Parameters.AddWithValue("$id", key.KeyId);
            command.Parameters.AddWithValue("$hash", key.SecretHash);
            command.Parameters.AddWithValue("$tenant", (object?)key.Tenant ?? DBNull.Value);
            command.Parameters.AddWithValue("$scopes", string.Join(' ', key.Scopes));
            command.Parameters.AddWithValue("$name", key.Name);
            command.Parameters.AddWithValue("$created", key.CreatedAt.ToUnixTimeMilliseconds());
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_id = $id AND revoked_at IS NULL";
            command.Parameters.AddWithValue("$id", keyId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? ReadApiKey(reader) : null;
        }, ct);

    public Task<TenantSettings> GetSettingsAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT retention_days, time_zone, strict_mode, legal_hold, personal_data_days FROM tenant_settings WHERE tenant = $tenant";
            command.Parameters.AddWithValue("$tenant", tenant);
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
        }, ct);

    public Task SaveSettingsAsync(string tenant, TenantSettings settings, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                """
                INSERT INTO tenant_settings (tenant, retention_days, time_zone, strict_mode, legal_hold, personal_data_days)
                VALUES ($tenant, $retention, $zone, $strict, $hold, $personal)
                ON CONFLICT (tenant) DO UPDATE SET retention_days = excluded.retention_days, time_zone = excluded.time_zone,
                    strict_mode = excluded.strict_mode, legal_hold = excluded.legal_hold, personal_data_days = excluded.personal_data_days
                """;
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$retention", settings.RetentionDays);
            command.Parameters.AddWithValue("$zone", settings.TimeZone);
            command.Parameters.AddWithValue("$strict", settings.StrictMode);
            command.Parameters.AddWithValue("$hold", settings.LegalHold);
            command.Parameters.AddWithValue("$personal", (object?)settings.PersonalDataDays ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);
}
