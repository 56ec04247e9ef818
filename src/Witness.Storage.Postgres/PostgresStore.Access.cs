using Npgsql;
using NpgsqlTypes;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IApiKeyStore, ISignInThrottleStore
{
    private const string ApiKeyColumns = "key_id, secret_hash, tenant, scopes, name, created_at, revoked_at";

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT {ApiKeyColumns} FROM api_keys WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at, key_id", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(ct))
        {
            keys.Add(ReadApiKey(reader));
        }

        return keys;
    }

    public async Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static ApiKeyRecord ReadApiKey(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetString(3).Split(' ', StringSplitOptions.RemoveEmptyEntries), reader.GetString(4),
            new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero))
        {
            RevokedAt = reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero),
        };

    public async Task<(int Failures, DateTimeOffset? WindowStart)> GetSignInFailuresAsync(string key, DateTimeOffset windowStartsAfter, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT failures, window_start FROM sign_in_failures WHERE throttle_key = $1 AND window_start > $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = windowStartsAfter.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)) : (0, null);
    }

    public async Task<(int Failures, DateTimeOffset WindowStart)> RecordSignInFailureAsync(string key, DateTimeOffset now, DateTimeOffset windowStartsAfter, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        // Counters of ended windows go, so random names tried cannot grow the table beyond one window's failures.
        await using (var prune = new NpgsqlCommand("DELETE FROM sign_in_failures WHERE window_start <= $1", connection))
        {
            prune.Parameters.Add(new NpgsqlParameter { Value = windowStartsAfter.UtcDateTime });
            await prune.ExecuteNonQueryAsync(ct);
        }

        // One statement, so instances counting the same key at once never lose a failure.
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO sign_in_failures AS f (throttle_key, window_start, failures) VALUES ($1, $2, 1)
            ON CONFLICT (throttle_key) DO UPDATE SET
                failures = CASE WHEN f.window_start > $3 THEN f.failures + 1 ELSE 1 END,
                window_start = CASE WHEN f.window_start > $3 THEN f.window_start ELSE $2 END
            RETURNING failures, window_start
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = windowStartsAfter.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt32(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero));
    }

    public async Task ClearSignInFailuresAsync(string key, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("DELETE FROM sign_in_failures WHERE throttle_key = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await command.ExecuteNonQueryAsync(ct);
    }
}
