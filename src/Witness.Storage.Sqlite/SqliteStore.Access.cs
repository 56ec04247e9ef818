using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IApiKeyStore, ISignInThrottleStore
{
    private const string ApiKeyColumns = "key_id, secret_hash, tenant, scopes, name, created_at, revoked_at";

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ApiKeyColumns} FROM api_keys WHERE $tenant IS NULL OR tenant = $tenant ORDER BY created_at, key_id";
            command.Parameters.AddWithValue("$tenant", (object?)tenant ?? DBNull.Value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var keys = new List<ApiKeyRecord>();
            while (await reader.ReadAsync(ct))
            {
                keys.Add(ReadApiKey(reader));
            }

            return keys;
        }, ct);

    public Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE api_keys SET revoked_at = $now WHERE key_id = $id AND revoked_at IS NULL";
            command.Parameters.AddWithValue("$id", keyId);
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    private static ApiKeyRecord ReadApiKey(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetString(3).Split(' ', StringSplitOptions.RemoveEmptyEntries), reader.GetString(4),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))
        {
            RevokedAt = reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        };

    public Task<(int Failures, DateTimeOffset? WindowStart)> GetSignInFailuresAsync(string key, DateTimeOffset windowStartsAfter, CancellationToken ct) =>
        ReadAsync<(int, DateTimeOffset?)>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT failures, window_start FROM sign_in_failures WHERE throttle_key = $key AND window_start > $after";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$after", windowStartsAfter.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? (reader.GetInt32(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))) : (0, null);
        }, ct);

    public Task<(int Failures, DateTimeOffset WindowStart)> RecordSignInFailureAsync(string key, DateTimeOffset now, DateTimeOffset windowStartsAfter, CancellationToken ct) =>
        WriteAsync<(int, DateTimeOffset)>(async connection =>
        {
            // Counters of ended windows go, so random names tried cannot grow the table beyond one window's failures.
            await using (var prune = connection.CreateCommand())
            {
                prune.CommandText = "DELETE FROM sign_in_failures WHERE window_start <= $after";
                prune.Parameters.AddWithValue("$after", windowStartsAfter.ToUnixTimeMilliseconds());
                await prune.ExecuteNonQueryAsync(ct);
            }

            await using var command = connection.CreateCommand();
            command.CommandText =
                """
                INSERT INTO sign_in_failures (throttle_key, window_start, failures) VALUES ($key, $now, 1)
                ON CONFLICT (throttle_key) DO UPDATE SET
                    failures = CASE WHEN window_start > $after THEN failures + 1 ELSE 1 END,
                    window_start = CASE WHEN window_start > $after THEN window_start ELSE $now END
                RETURNING failures, window_start
                """;
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$after", windowStartsAfter.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return (reader.GetInt32(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        }, ct);

    public Task ClearSignInFailuresAsync(string key, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM sign_in_failures WHERE throttle_key = $key";
            command.Parameters.AddWithValue("$key", key);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);
}
