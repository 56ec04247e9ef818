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

    public Task SaveHeadsCosignatureAsync(string witness, long size, string line, DateTimeOffset at, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            ArgumentNullException.ThrowIfNull(witness);
            ArgumentNullException.ThrowIfNull(line);
            var now = at.ToUnixTimeMilliseconds();
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            await ExecuteAsync(connection, tx,
                "INSERT INTO heads_cosignatures (size, witness, line, at) VALUES ($p0, $p1, $p2, $p3) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at = excluded.at",
                ct, size, witness, line, now);
            var lines = await QueryListAsync(connection, tx, "SELECT line FROM heads_cosignatures WHERE size = $p0 ORDER BY witness", r => r.GetString(0), ct, size);
            await ExecuteAsync(connection, tx, "UPDATE heads_checkpoints SET cosigned_note = note || $p0, witnesses = $p1, cosigned_at = $p2 WHERE size = $p3",
                ct, string.Concat(lines), lines.Count, now, size);
            await ExecuteAsync(connection, tx,
                """
                INSERT INTO heads_witnesses (witness, known_size, cosigned_size, cosigned_at, problem, refused, updated_at) VALUES ($p0, $p1, $p1, $p2, NULL, 0, $p2)
                ON CONFLICT (witness) DO UPDATE SET known_size = excluded.known_size,
                    cosigned_at = CASE WHEN excluded.cosigned_size >= cosigned_size THEN excluded.cosigned_at ELSE cosigned_at END,
                    cosigned_size = max(cosigned_size, excluded.cosigned_size), problem = NULL, refused = 0, updated_at = excluded.updated_at
                """, ct, witness, size, now);
            await tx.CommitAsync(ct);
            return 0;
        }, ct);

    public Task SaveHeadsWitnessProblemAsync(string witness, long knownSize, string problem, bool refused, DateTimeOffset at, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                """
                INSERT INTO heads_witnesses (witness, known_size, problem, refused, updated_at) VALUES ($p0, $p1, $p2, $p3, $p4)
                ON CONFLICT (witness) DO UPDATE SET known_size = excluded.known_size, problem = excluded.problem, refused = excluded.refused, updated_at = excluded.updated_at
                """, ct, witness, knownSize, problem, refused ? 1 : 0, at.ToUnixTimeMilliseconds());
            return 0;
        }, ct);

    public Task<IReadOnlyList<HeadsWitnessRecord>> ListHeadsWitnessesAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<HeadsWitnessRecord>>(async connection => await QueryListAsync(connection, null,
            "SELECT witness, known_size, cosigned_size, cosigned_at, problem, refused, updated_at FROM heads_witnesses ORDER BY witness",
            r => new HeadsWitnessRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5) != 0, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))), ct), ct);

    public Task<StoredCheckpoint?> FirstHeadsCheckpointAfterAsync(long size, CancellationToken ct) =>
        ReadAsync(connection => QueryRowAsync(connection, null, "SELECT size, root, note, created_at FROM heads_checkpoints WHERE size > $p0 ORDER BY size",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))), ct, size), ct);

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
