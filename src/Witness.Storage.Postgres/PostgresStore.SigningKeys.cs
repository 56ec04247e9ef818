using Npgsql;
using NpgsqlTypes;
using Witness.Integrity;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : ISigningKeyStore
{
    private const string SigningKeyColumns = "position, key_id, public_key, valid_from, valid_until, endorsement";

    public Task<IReadOnlyList<RegisteredKey>> ListSigningKeysAsync(CancellationToken ct) =>
        QueryAsync($"SELECT {SigningKeyColumns} FROM signing_keys ORDER BY position", ReadSigningKey, ct);

    public async Task<IReadOnlyList<RegisteredKey>> RegisterFirstSigningKeyAsync(RegisteredKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);

        // Instances starting at once on a new database both try position 1; the first insert wins and both read it.
        await NonQueryAsync(
            $"INSERT INTO signing_keys ({SigningKeyColumns}) VALUES (1, $1, $2, $3, NULL, NULL) ON CONFLICT DO NOTHING",
            ct, key.KeyId, key.PublicKeyPem, key.ValidFrom.UtcDateTime);
        return await ListSigningKeysAsync(ct);
    }

    /// <summary>
    /// The current key's row is locked (<c>FOR SHARE</c>) in the transaction that saves the checkpoint, so a
    /// rotation (which updates that row) waits for the save, or the save, waiting for the rotation, finds the key retired.
    /// </summary>
    public async Task<bool> SaveCheckpointSignedByAsync(string tenant, StoredCheckpoint checkpoint, string keyId, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var current = Command(connection,
            """
            SELECT (SELECT key_id FROM signing_keys WHERE valid_until IS NULL FOR SHARE), EXISTS (SELECT 1 FROM signing_keys)
            """, []))
        {
            current.Transaction = tx;
            await using var reader = await current.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var currentId = reader.IsDBNull(0) ? null : reader.GetString(0);
            if (reader.GetBoolean(1) && currentId != keyId)
            {
                return false;
            }
        }

        await InsertCheckpointAsync(connection, tx, tenant, checkpoint, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> RotateSigningKeyAsync(RegisteredKey retired, RegisteredKey next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(retired);
        ArgumentNullException.ThrowIfNull(next);
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // The row lock makes a second rotation wait, and then find the key retired.
        await using (var retire = Command(connection,
            """
            UPDATE signing_keys SET valid_until = $1, endorsement = $2
            WHERE position = $3 AND key_id = $4 AND valid_until IS NULL AND NOT EXISTS (SELECT 1 FROM signing_keys s WHERE s.position > $3)
            """,
            [Nullable(retired.ValidUntil?.UtcDateTime, NpgsqlDbType.TimestampTz), Nullable(retired.Endorsement, NpgsqlDbType.Text), retired.Position, retired.KeyId]))
        {
            if (await retire.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }

        await using (var insert = Command(connection,
            $"INSERT INTO signing_keys ({SigningKeyColumns}) VALUES ($1, $2, $3, $4, NULL, NULL)",
            [retired.Position + 1, next.KeyId, next.PublicKeyPem, next.ValidFrom.UtcDateTime]))
        {
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return false;
            }
        }

        await tx.CommitAsync(ct);
        return true;
    }

    private static RegisteredKey ReadSigningKey(NpgsqlDataReader r) => new(
        r.GetInt32(0), r.GetString(1), r.GetString(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero),
        r.IsDBNull(4) ? null : new DateTimeOffset(r.GetDateTime(4), TimeSpan.Zero), r.IsDBNull(5) ? null : r.GetString(5));
}
