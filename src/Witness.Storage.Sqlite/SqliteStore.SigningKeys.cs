using Microsoft.Data.Sqlite;
using Witness.Integrity;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : ISigningKeyStore
{
    private const string SigningKeyColumns = "position, key_id, public_key, valid_from, valid_until, endorsement";

    public Task<IReadOnlyList<RegisteredKey>> ListSigningKeysAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<RegisteredKey>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {SigningKeyColumns} FROM signing_keys ORDER BY position", ReadSigningKey, ct), ct);

    public Task<IReadOnlyList<RegisteredKey>> RegisterFirstSigningKeyAsync(RegisteredKey key, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<RegisteredKey>>(async connection =>
        {
            ArgumentNullException.ThrowIfNull(key);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            if (await QueryRowAsync(connection, tx, "SELECT 1 FROM signing_keys", r => r.GetInt64(0), ct) == 0)
            {
                await InsertSigningKeyAsync(connection, tx, key with { Position = 1 }, ct);
            }

            var keys = await QueryListAsync(connection, tx, $"SELECT {SigningKeyColumns} FROM signing_keys ORDER BY position", ReadSigningKey, ct);
            await tx.CommitAsync(ct);
            return keys;
        }, ct);

    /// <summary>The current key is read in the write transaction that saves the checkpoint (<c>BEGIN IMMEDIATE</c>), which a rotation's write transaction cannot interleave with, in this process or another.</summary>
    public Task<bool> SaveCheckpointSignedByAsync(string tenant, StoredCheckpoint checkpoint, string keyId, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            var current = await QueryListAsync(connection, tx, "SELECT key_id FROM signing_keys WHERE position = (SELECT max(position) FROM signing_keys)", r => r.GetString(0), ct);
            if (current.Count > 0 && current[0] != keyId)
            {
                return false;
            }

            await InsertCheckpointAsync(connection, tx, tenant, checkpoint, ct);
            await tx.CommitAsync(ct);
            return true;
        }, ct);

    public Task<bool> RotateSigningKeyAsync(RegisteredKey retired, RegisteredKey next, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            ArgumentNullException.ThrowIfNull(retired);
            ArgumentNullException.ThrowIfNull(next);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var retire = Prepare(connection, tx,
                """
                UPDATE signing_keys SET valid_until = $p0, endorsement = $p1
                WHERE position = $p2 AND key_id = $p3 AND valid_until IS NULL AND position = (SELECT max(position) FROM signing_keys)
                """,
                [retired.ValidUntil?.ToUnixTimeMilliseconds(), retired.Endorsement, retired.Position, retired.KeyId]);
            if (await retire.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }

            await InsertSigningKeyAsync(connection, tx, next with { Position = retired.Position + 1 }, ct);
            await tx.CommitAsync(ct);
            return true;
        }, ct);

    private static Task InsertSigningKeyAsync(SqliteConnection connection, SqliteTransaction tx, RegisteredKey key, CancellationToken ct) =>
        ExecuteAsync(connection, tx, $"INSERT INTO signing_keys ({SigningKeyColumns}) VALUES ($p0, $p1, $p2, $p3, NULL, NULL)",
            ct, key.Position, key.KeyId, key.PublicKeyPem, key.ValidFrom.ToUnixTimeMilliseconds());

    private static RegisteredKey ReadSigningKey(SqliteDataReader r) => new(
        r.GetInt32(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.IsDBNull(5) ? null : r.GetString(5));
}
