using Npgsql;
using Witness.Integrity;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IHeadsLogStore
{
    // The advisory lock that serializes heads-log appends of every instance ('heads' in ASCII).
    private const long HeadsLockKey = 0x6865616473;

    public INodeSource HeadsNodes => new PostgresHeadsNodes(this);

    public async Task<long> AppendHeadAsync(byte[] entry, Func<MerkleFrontier, HeadsAppendPlan> plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(plan);
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = Command(connection, "SELECT pg_advisory_xact_lock($1)", [HeadsLockKey]))
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        if (await ValueAsync(connection, "SELECT idx FROM heads_entries WHERE entry = $1", ct, entry) is long existing)
        {
            return existing;
        }

        var stored = await ValueAsync(connection, "SELECT frontier FROM heads_checkpoints ORDER BY size DESC LIMIT 1", ct);
        var frontier = stored is byte[] bytes ? MerkleFrontier.Deserialize(bytes) : new MerkleFrontier();
        var next = plan(frontier);
        await RunAsync(connection, "INSERT INTO heads_entries (idx, entry, leaf_hash) VALUES ($1, $2, $3)", ct, frontier.Size, entry, next.LeafHash);
        foreach (var (level, index, hash) in next.Nodes)
        {
            await RunAsync(connection, "INSERT INTO heads_nodes (level, idx, hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", ct, level, index, hash);
        }

        var checkpoint = next.Checkpoint;
        await RunAsync(connection, "INSERT INTO heads_checkpoints (size, root, note, created_at, frontier) VALUES ($1, $2, $3, $4, $5)",
            ct, checkpoint.Size, checkpoint.RootHash, checkpoint.Note, checkpoint.CreatedAt.UtcDateTime, next.Next.Serialize());
        await tx.CommitAsync(ct);
        return frontier.Size;
    }

    public async Task<long?> HeadIndexAsync(byte[] entry, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        return await ValueAsync(connection, "SELECT idx FROM heads_entries WHERE entry = $1", ct, entry) as long?;
    }

    public async Task<StoredCheckpoint?> LatestHeadsCheckpointAsync(CancellationToken ct) =>
        (await QueryAsync("SELECT size, root, note, created_at FROM heads_checkpoints ORDER BY size DESC LIMIT 1",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero)), ct)).SingleOrDefault();

    public Task<IReadOnlyList<byte[]>> ReadHeadEntriesAsync(long start, int count, CancellationToken ct) =>
        QueryAsync("SELECT entry FROM heads_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", r => r.GetFieldValue<byte[]>(0), ct, start, start + count);

    public Task SaveHeadsCosignaturesAsync(long size, string cosignedNote, int witnesses, DateTimeOffset at, CancellationToken ct) =>
        NonQueryAsync("UPDATE heads_checkpoints SET cosigned_note = $1, witnesses = $2, cosigned_at = $3 WHERE size = $4", ct, cosignedNote, witnesses, at.UtcDateTime, size);

    public async Task<CosignedHeads?> LatestCosignedHeadsAsync(int witnesses, CancellationToken ct) =>
        (await QueryAsync(
            "SELECT size, cosigned_note, witnesses, cosigned_at FROM heads_checkpoints WHERE cosigned_note IS NOT NULL AND witnesses >= $1 ORDER BY size DESC LIMIT 1",
            r => new CosignedHeads(r.GetInt64(0), r.GetString(1), r.GetInt32(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero)), ct, witnesses)).SingleOrDefault();

    private static async Task<object?> ValueAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Command(connection, sql, values);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Command(connection, sql, values);
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed class PostgresHeadsNodes(PostgresStore store) : INodeSource
    {
        public async ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct)
        {
            await using var connection = await store.Data.OpenConnectionAsync(ct);
            return await ValueAsync(connection, "SELECT hash FROM heads_nodes WHERE level = $1 AND idx = $2", ct, level, index) as byte[];
        }

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) =>
            await store.QueryAsync("SELECT leaf_hash FROM heads_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", r => r.GetFieldValue<byte[]>(0), ct, start, start + count);
    }
}
