using Microsoft.Data.Sqlite;
using Witness.Integrity;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IHeadsLogStore
{
    public INodeSource HeadsNodes => new SqliteHeadsNodes(this);

    public Task<long> AppendHeadAsync(byte[] entry, Func<MerkleFrontier, HeadsAppendPlan> plan, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            ArgumentNullException.ThrowIfNull(entry);
            ArgumentNullException.ThrowIfNull(plan);

            // An immediate transaction: other processes on the file (an import) wait, so appends never interleave.
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            if (await QueryRowAsync(connection, tx, "SELECT idx FROM heads_entries WHERE entry = $p0", r => (long?)r.GetInt64(0), ct, entry) is { } existing)
            {
                return existing;
            }

            var frontier = await QueryRowAsync(connection, tx, "SELECT frontier FROM heads_checkpoints ORDER BY size DESC",
                r => MerkleFrontier.Deserialize(r.GetFieldValue<byte[]>(0)), ct) ?? new MerkleFrontier();
            var next = plan(frontier);
            await ExecuteAsync(connection, tx, "INSERT INTO heads_entries (idx, entry, leaf_hash) VALUES ($p0, $p1, $p2)", ct, frontier.Size, entry, next.LeafHash);
            foreach (var (level, index, hash) in next.Nodes)
            {
                await ExecuteAsync(connection, tx, "INSERT OR IGNORE INTO heads_nodes (level, idx, hash) VALUES ($p0, $p1, $p2)", ct, level, index, hash);
            }

            var checkpoint = next.Checkpoint;
            await ExecuteAsync(connection, tx, "INSERT INTO heads_checkpoints (size, root, note, created_at, frontier) VALUES ($p0, $p1, $p2, $p3, $p4)",
                ct, checkpoint.Size, checkpoint.RootHash, checkpoint.Note, checkpoint.CreatedAt.ToUnixTimeMilliseconds(), next.Next.Serialize());
            await tx.CommitAsync(ct);
            return frontier.Size;
        }, ct);

    public Task<long?> HeadIndexAsync(byte[] entry, CancellationToken ct) =>
        ReadAsync(connection => QueryRowAsync(connection, null, "SELECT idx FROM heads_entries WHERE entry = $p0", r => (long?)r.GetInt64(0), ct, entry), ct);

    public Task<StoredCheckpoint?> LatestHeadsCheckpointAsync(CancellationToken ct) =>
        ReadAsync(connection => QueryRowAsync(connection, null, "SELECT size, root, note, created_at FROM heads_checkpoints ORDER BY size DESC",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))), ct), ct);

    public Task<IReadOnlyList<byte[]>> ReadHeadEntriesAsync(long start, int count, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<byte[]>>(async connection => await QueryListAsync(connection, null,
            "SELECT entry FROM heads_entries WHERE idx >= $p0 AND idx < $p1 ORDER BY idx", r => r.GetFieldValue<byte[]>(0), ct, start, start + count), ct);

    public Task SaveHeadsCosignaturesAsync(long size, string cosignedNote, int witnesses, DateTimeOffset at, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null, "UPDATE heads_checkpoints SET cosigned_note = $p0, witnesses = $p1, cosigned_at = $p2 WHERE size = $p3",
                ct, cosignedNote, witnesses, at.ToUnixTimeMilliseconds(), size);
            return 0;
        }, ct);

    public Task<CosignedHeads?> LatestCosignedHeadsAsync(int witnesses, CancellationToken ct) =>
        ReadAsync(connection => QueryRowAsync(connection, null,
            "SELECT size, cosigned_note, witnesses, cosigned_at FROM heads_checkpoints WHERE cosigned_note IS NOT NULL AND witnesses >= $p0 ORDER BY size DESC",
            r => new CosignedHeads(r.GetInt64(0), r.GetString(1), r.GetInt32(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))), ct, witnesses), ct);

    private sealed class SqliteHeadsNodes(SqliteStore store) : INodeSource
    {
        public async ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct) =>
            await store.ReadAsync(connection => QueryRowAsync(connection, null, "SELECT hash FROM heads_nodes WHERE level = $p0 AND idx = $p1",
                r => r.GetFieldValue<byte[]>(0), ct, level, index), ct);

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) =>
            await store.ReadAsync<IReadOnlyList<byte[]>>(async connection => await QueryListAsync(connection, null,
                "SELECT leaf_hash FROM heads_entries WHERE idx >= $p0 AND idx < $p1 ORDER BY idx", r => r.GetFieldValue<byte[]>(0), ct, start, start + count), ct);
    }
}
