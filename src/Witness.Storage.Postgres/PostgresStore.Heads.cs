using Npgsql;
using Witness.Integrity;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IHeadsLogStore
{
    // The advisory lock that serializes heads-log appends of every instance ('heads' in ASCII).
    internal const long HeadsLockKey = 0x6865616473;

    // This process's appends take turns here before opening a connection: each waiter on the advisory lock held a pooled
    // connection, so a burst of proof requests for checkpoints not yet in the log (more than the pool holds) emptied the
    // pool. The advisory lock still orders one instance's append against another's.
    private readonly SemaphoreSlim _headsAppends = new(1, 1);

    public INodeSource HeadsNodes => new PostgresHeadsNodes(this);

    public async Task<long> AppendHeadAsync(byte[] entry, Func<MerkleFrontier, HeadsAppendPlan> plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(plan);
        await _headsAppends.WaitAsync(ct);
        try
        {
            return await AppendHeadInTurnAsync(entry, plan, ct);
        }
        finally
        {
            _headsAppends.Release();
        }
    }

    private async Task<long> AppendHeadInTurnAsync(byte[] entry, Func<MerkleFrontier, HeadsAppendPlan> plan, CancellationToken ct)
    {
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

    public async Task SaveHeadsCosignatureAsync(string witness, long size, string line, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(witness);
        ArgumentNullException.ThrowIfNull(line);
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The checkpoint's row lock orders instances saving lines of the same size, so neither note loses the other's line.
        await RunAsync(connection, "SELECT 1 FROM heads_checkpoints WHERE size = $1 FOR UPDATE", ct, size);
        await RunAsync(connection,
            "INSERT INTO heads_cosignatures (size, witness, line, at) VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at = excluded.at",
            ct, size, witness, line, at.UtcDateTime);
        await RunAsync(connection,
            """
            UPDATE heads_checkpoints SET cosigned_note = note || lines.text, witnesses = lines.n, cosigned_at = $2
            FROM (SELECT string_agg(line, '' ORDER BY witness) AS text, count(*)::integer AS n FROM heads_cosignatures WHERE size = $1) AS lines
            WHERE size = $1
            """, ct, size, at.UtcDateTime);
        await RunAsync(connection,
            """
            INSERT INTO heads_witnesses (witness, known_size, cosigned_size, cosigned_at, problem, refused, updated_at) VALUES ($1, $2, $2, $3, NULL, false, $3)
            ON CONFLICT (witness) DO UPDATE SET known_size = excluded.known_size,
                cosigned_at = CASE WHEN excluded.cosigned_size >= heads_witnesses.cosigned_size THEN excluded.cosigned_at ELSE heads_witnesses.cosigned_at END,
                cosigned_size = GREATEST(heads_witnesses.cosigned_size, excluded.cosigned_size), problem = NULL, refused = false, updated_at = excluded.updated_at
            """, ct, witness, size, at.UtcDateTime);
        await tx.CommitAsync(ct);
    }

    public Task SaveHeadsWitnessProblemAsync(string witness, long knownSize, string problem, bool refused, DateTimeOffset at, CancellationToken ct) =>
        NonQueryAsync(
            """
            INSERT INTO heads_witnesses (witness, known_size, problem, refused, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (witness) DO UPDATE SET known_size = excluded.known_size, problem = excluded.problem, refused = excluded.refused, updated_at = excluded.updated_at
            """, ct, witness, knownSize, problem, refused, at.UtcDateTime);

    public Task<IReadOnlyList<HeadsWitnessRecord>> ListHeadsWitnessesAsync(CancellationToken ct) =>
        QueryAsync("SELECT witness, known_size, cosigned_size, cosigned_at, problem, refused, updated_at FROM heads_witnesses ORDER BY witness",
            r => new HeadsWitnessRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetBoolean(5), new DateTimeOffset(r.GetDateTime(6), TimeSpan.Zero)), ct);

    public async Task<StoredCheckpoint?> FirstHeadsCheckpointAfterAsync(long size, CancellationToken ct) =>
        (await QueryAsync("SELECT size, root, note, created_at FROM heads_checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero)), ct, size)).SingleOrDefault();

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
