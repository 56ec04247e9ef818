using System.Runtime.CompilerServices;
using Npgsql;
using Witness.Integrity;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// A read-only REPEATABLE READ transaction whose snapshot is exported (<c>pg_export_snapshot</c>): the
    /// streams read beside each other (log rows, target rows) each run on a connection of their own that
    /// imports it (<c>SET TRANSACTION SNAPSHOT</c>), so every read sees the same committed state.
    /// </summary>
    public async Task<ILogSnapshot> OpenSnapshotAsync(string tenant, CancellationToken ct)
    {
        var connection = await Data.OpenConnectionAsync(ct);
        try
        {
            await ExecuteAsync(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ct);
            var snapshotId = (string)(await ScalarAsync(connection, "SELECT pg_export_snapshot()", ct))!;
            long? tenantId = null;
            MerkleFrontier? head = null;
            long counter = 0;
            long lastCheckpoint = 0;
            await using (var command = new NpgsqlCommand("SELECT id, log_size, frontier, checkpoint_size FROM tenants WHERE name = $1", connection))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = tenant });
                await using var reader = await command.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                {
                    tenantId = reader.GetInt64(0);
                    counter = reader.GetInt64(1);
                    head = MerkleFrontier.Deserialize(reader.GetFieldValue<byte[]>(2));
                    lastCheckpoint = reader.GetInt64(3);
                }
            }

            long purged = 0;
            if (tenantId is { } id)
            {
                await using var command = new NpgsqlCommand("SELECT purged_through FROM retention_state WHERE tenant_id = $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                purged = await command.ExecuteScalarAsync(ct) is long p ? p : 0;
            }

            return new PostgresLogSnapshot(this, connection, snapshotId, tenant, tenantId ?? -1, head, counter, lastCheckpoint, purged);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class PostgresLogSnapshot(
        PostgresStore store, NpgsqlConnection connection, string snapshotId, string tenant, long tenantId, MerkleFrontier? head, long sizeCounter, long lastCheckpoint, long purged) : ILogSnapshot
    {
        public string Tenant => tenant;

        public MerkleFrontier? Head => head;

        public long SizeCounter => sizeCounter;

        public long? LastCheckpointSize => lastCheckpoint;

        public long PurgedThrough => purged;

        /// <summary>A connection of its own in the snapshot, for a stream read beside others.</summary>
        private async Task<NpgsqlConnection> ImportAsync(CancellationToken ct)
        {
            var imported = await store.Data.OpenConnectionAsync(ct);
            try
            {
                await ExecuteAsync(imported, $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshotId.Replace("'", "''", StringComparison.Ordinal)}'", ct);
                return imported;
            }
            catch
            {
                await imported.DisposeAsync();
                throw;
            }
        }

        public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await using var command = new NpgsqlCommand("SELECT size, root, note, created_at, previous_size FROM checkpoints WHERE tenant_id = $1 ORDER BY size", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return ReadCheckpoint(reader) with { PreviousSize = reader.IsDBNull(4) ? null : reader.GetInt64(4) };
            }
        }

        public async IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await using var command = new NpgsqlCommand("SELECT level, idx, hash FROM merkle_nodes WHERE tenant_id = $1 ORDER BY level, idx", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct)
        {
            var hashes = new List<byte[]>(count);
            await using (var command = new NpgsqlCommand("SELECT hash FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq", connection))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                command.Parameters.Add(new NpgsqlParameter { Value = start });
                command.Parameters.Add(new NpgsqlParameter { Value = start + count });
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    hashes.Add(reader.GetFieldValue<byte[]>(0));
                }
            }

            if (hashes.Count < count)
            {
                hashes.InsertRange(0, await KeptLeafHashesAsync(connection, tenantId, start, count - hashes.Count, ct));
            }

            return hashes;
        }

        public ILogRowReader OpenLogRows(long fromSeq, CancellationToken ct) => new StoredRowReader(ReadVerifiedRowsAsync(fromSeq, ct), ct);

        /// <summary>
        /// The log rows with what verification checks beside them in <c>event_ids</c>: whether the row is there
        /// under the event's id, the digest of what the client sent and the fields it left out.
        /// </summary>
        private async IAsyncEnumerable<StoredRow> ReadVerifiedRowsAsync(long fromSeq, [EnumeratorCancellation] CancellationToken ct)
        {
            await using var imported = await ImportAsync(ct);
            await using var command = new NpgsqlCommand(
                """
                SELECT e.seq, e.event_id, e.body, e.hash, e.occurred_at, e.received_at, e.type, e.action, e.category, e.outcome,
                       e.actor_id, e.actor_email, e.ip, e.search_text, e.personal, e.personal_values, e.public_text, e.personal_text,
                       i.event_id = e.event_id, i.content_digest, i.client_omitted
                FROM events_joined e
                LEFT JOIN event_ids i ON i.tenant_id = e.tenant_id AND i.seq = e.seq
                WHERE e.tenant_id = $1 AND e.seq >= $2
                ORDER BY e.seq
                """, imported);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = fromSeq });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = PostgresSplitRows.Row(reader);
                yield return row with
                {
                    IdIndexed = !reader.IsDBNull(18) && reader.GetBoolean(18),
                    ContentDigest = reader.IsDBNull(19) ? null : reader.GetFieldValue<byte[]>(19),
                    // The digest of what the client sent is not checked for a split row whose values were erased: an erasure
                    // leaves it (a retry of the same event stays that event) and the row no longer holds what it was taken of.
                    ClientOmitted = reader.IsDBNull(20) || PostgresSplitRows.ErasedSplit(reader, row) ? null : (Events.ClientOmitted)reader.GetInt16(20),
                };
            }
        }

        public async IAsyncEnumerable<StoredRow> ReadLogAsync(long fromSeq, [EnumeratorCancellation] CancellationToken ct)
        {
            await using var imported = await ImportAsync(ct);
            await foreach (var row in ReadLogRowsAsync(imported, tenantId, fromSeq, ct))
            {
                yield return row;
            }
        }

        public async Task VisitTargetRowsAsync(TargetRowVisitor visit, CancellationToken ct)
        {
            await foreach (var (seq, type, id) in ReadTargetRowsAsync(ct))
            {
                visit(seq, System.Text.Encoding.UTF8.GetBytes(type), System.Text.Encoding.UTF8.GetBytes(id));
            }
        }

        public async IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await using var imported = await ImportAsync(ct);
            await using var command = new NpgsqlCommand("SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = $1", imported);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
            }
        }

        public async Task<long> CountEventRowsAsync(CancellationToken ct)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }

        /// <summary>Nothing to check: PostgreSQL keeps no index beside rows and targets that the rows do not already answer for (email search reads the actor_email column; event_ids is checked row by row).</summary>
        public Task<LayoutProblem?> CheckLayoutAsync(IEnumerable<((string Email, string ActorId) Pair, long Seq)> emailPairs, CancellationToken ct) =>
            Task.FromResult<LayoutProblem?>(null);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
