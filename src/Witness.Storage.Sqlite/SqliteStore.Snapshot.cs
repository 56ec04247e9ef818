using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Witness.Integrity;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// A read transaction on a connection of its own, whose snapshot (<c>sqlite3_snapshot_get</c>) every
    /// other connection the verification reads through opens too (<c>sqlite3_snapshot_open</c>): the
    /// log rows and target rows read beside each other see exactly the head, nodes and checkpoints read
    /// here. The open transaction keeps SQLite from checkpointing the WAL past the snapshot meanwhile.
    /// </summary>
    public async Task<ILogSnapshot> OpenSnapshotAsync(string tenant, CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        try
        {
            // A plain BEGIN, not BeginTransaction: the store's query helpers then run inside it as they are.
            await ExecuteAsync(connection, "BEGIN", ct);
            var head = await QueryRowAsync(connection, null, "SELECT id, log_size, frontier, checkpoint_size FROM tenants WHERE name = $p0",
                r => (Id: r.GetInt64(0), Size: r.GetInt64(1), Frontier: r.GetFieldValue<byte[]>(2), Checkpoint: r.GetInt64(3)), ct, tenant);
            var purged = head.Frontier is null ? 0
                : await QueryRowAsync(connection, null, "SELECT purged_through FROM retention_state WHERE tenant_id = $p0", r => r.GetInt64(0), ct, head.Id);
            // SQLite gives no snapshot handle while the WAL holds no frame (nothing written since it was made);
            // the connections read beside this one then compare the tenant's state with it instead.
            var code = SnapshotNative.Get(connection.Handle!.DangerousGetHandle(), "main", out var handle);
            if (code != SQLitePCL.raw.SQLITE_OK)
            {
                handle = 0;
            }

            var state = head.Frontier is null ? [] : SnapshotRef.Fingerprint(head.Size, head.Frontier, head.Checkpoint, purged);
            var snapshot = new SnapshotRef(handle, head.Frontier is null ? -1 : head.Id, state);
            return new SqliteLogSnapshot(this, connection, snapshot, tenant, head.Frontier is null ? null : head.Id,
                head.Frontier is null ? null : MerkleFrontier.Deserialize(head.Frontier), head.Size, head.Checkpoint, purged);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class SqliteLogSnapshot(
        SqliteStore store, SqliteConnection connection, SnapshotRef snapshot, string tenant, long? tenantId, MerkleFrontier? head, long sizeCounter, long lastCheckpoint, long purged) : ILogSnapshot
    {
        // No tenant row: queries for tenant id -1 find nothing.
        private readonly long _tenantId = tenantId ?? -1;
        private readonly long _start = Rid(tenantId ?? -1, 0);

        public string Tenant => tenant;

        public MerkleFrontier? Head => head;

        public long SizeCounter => sizeCounter;

        public long? LastCheckpointSize => lastCheckpoint;

        public long PurgedThrough => purged;

        public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var checkpoint in await QueryListAsync(connection, null, "SELECT size, root, note, created_at, previous_size FROM checkpoints WHERE tenant_id = $p0 ORDER BY size",
                r => ReadCheckpoint(r) with { PreviousSize = r.IsDBNull(4) ? null : r.GetInt64(4) }, ct, _tenantId))
            {
                yield return checkpoint;
            }
        }

        public async IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await using var command = Prepare(connection, null, "SELECT level, idx, hash FROM merkle_nodes WHERE tenant_id = $p0 ORDER BY level, idx", [_tenantId]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct)
        {
            var hashes = await QueryListAsync(connection, null, "SELECT hash FROM events WHERE rid > $p0 AND rid <= $p1 ORDER BY rid",
                r => r.GetFieldValue<byte[]>(0), ct, _start + start, _start + start + count);
            if (hashes.Count < count)
            {
                hashes.InsertRange(0, await KeptLeafHashesAsync(connection, _tenantId, start, count - hashes.Count, ct));
            }

            return hashes;
        }

        public ILogRowReader OpenLogRows(long fromSeq, CancellationToken ct) => new SqliteLogRowReader(store, tenant, fromSeq, snapshot);

        public async IAsyncEnumerable<StoredRow> ReadLogAsync(long fromSeq, [EnumeratorCancellation] CancellationToken ct)
        {
            await using var command = Prepare(connection, null, ReadLogSql, [_start + Math.Max(fromSeq, 1), _start + SeqsPerTenant]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return ReadLogRow(reader, _start, _tenantId);
            }
        }

        public Task VisitTargetRowsAsync(TargetRowVisitor visit, CancellationToken ct)
        {
            using var rows = RawRows.Open(store, snapshot, "SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = ?1", _tenantId);
            while (rows.Step())
            {
                visit(rows.Int64(0), rows.Bytes(1), rows.Bytes(2));
                ct.ThrowIfCancellationRequested();
            }

            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await using var command = Prepare(connection, null, "SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = $p0", [_tenantId]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
            }
        }

        public async Task<long> CountEventRowsAsync(CancellationToken ct) =>
            await QueryRowAsync(connection, null, "SELECT count(*) FROM events WHERE tenant_id = $p0", r => r.GetInt64(0), ct, _tenantId);

        /// <summary>The email index (<c>actor_emails</c>) holds exactly the (email, actor id) pairs the log's events carry.</summary>
        public async Task<LayoutProblem?> CheckLayoutAsync(IEnumerable<((string Email, string ActorId) Pair, long Seq)> emailPairs, CancellationToken ct)
        {
            var stored = new HashSet<(string, string)>();
            foreach (var pair in await QueryListAsync(connection, null, "SELECT email, actor_id FROM actor_emails WHERE tenant_id = $p0", r => (r.GetString(0), r.GetString(1)), ct, _tenantId))
            {
                stored.Add(pair);
            }

            var carried = new HashSet<(string, string)>();
            foreach (var (pair, seq) in emailPairs)
            {
                if (!stored.Contains(pair))
                {
                    return new LayoutProblem(seq, $"the email index lost the pair ({pair.Email}, {pair.ActorId}) of event {seq}: searches by that email would miss events");
                }

                carried.Add(pair);
            }

            // Retention removes the pairs no remaining event carries, so every stored pair is carried by an event.
            var stray = stored.Where(p => !carried.Contains(p)).Order().FirstOrDefault();
            return stray.Item1 is null
                ? null
                : new LayoutProblem(null, $"the email index holds the pair ({stray.Item1}, {stray.Item2}) that no event of the log carries: searches by that email would show other events");
        }

        public async ValueTask DisposeAsync()
        {
            if (snapshot.Handle != 0)
            {
                SnapshotNative.Free(snapshot.Handle);
            }

            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// What other connections need to read a snapshot: SQLite's handle of it, or, when SQLite could not give
    /// one, the tenant's state in it (size counter, head, latest checkpoint, purged prefix), which every
    /// commit that touches the tenant's log changes.
    /// </summary>
    private sealed record SnapshotRef(nint Handle, long TenantId, byte[] State)
    {
        public const string FingerprintSql =
            "SELECT t.log_size, t.frontier, t.checkpoint_size, coalesce((SELECT purged_through FROM retention_state WHERE tenant_id = t.id), 0) FROM tenants t WHERE t.id = ?1";

        public static byte[] Fingerprint(long size, ReadOnlySpan<byte> frontier, long checkpoint, long purged)
        {
            var bytes = new byte[24 + frontier.Length];
            BitConverter.TryWriteBytes(bytes, size);
            BitConverter.TryWriteBytes(bytes.AsSpan(8), checkpoint);
            BitConverter.TryWriteBytes(bytes.AsSpan(16), purged);
            frontier.CopyTo(bytes.AsSpan(24));
            return bytes;
        }
    }

    /// <summary>SQLite's snapshot API (built into e_sqlite3 with SQLITE_ENABLE_SNAPSHOT), which SQLitePCL does not wrap.</summary>
    private static partial class SnapshotNative
    {
        private const string Library = "e_sqlite3";

        [LibraryImport(Library, EntryPoint = "sqlite3_snapshot_get", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Get(nint db, string schema, out nint snapshot);

        [LibraryImport(Library, EntryPoint = "sqlite3_snapshot_open", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(nint db, string schema, nint snapshot);

        [LibraryImport(Library, EntryPoint = "sqlite3_snapshot_free")]
        public static partial void Free(nint snapshot);
    }
}
