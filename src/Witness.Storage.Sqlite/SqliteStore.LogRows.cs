using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Witness.Events;
using Witness.Storage;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// The tenant's log in blocks, read through SQLite's own statement API: each column's bytes are
    /// copied straight from SQLite into the block, with no string or array per row (reading a million
    /// rows through <see cref="ReadLogAsync"/> costs about four seconds of CPU, most of it allocation).
    /// </summary>
    public ILogRowReader OpenLogRows(string tenant, long fromSeq, CancellationToken ct) => new SqliteLogRowReader(this, tenant, fromSeq, null);

    /// <summary>The tenant's target index rows, their text as UTF-8, read the same way.</summary>
    public async Task VisitTargetRowsAsync(string tenant, TargetRowVisitor visit, CancellationToken ct)
    {
        var tenantId = await ReadAsync(connection => TenantIdAsync(connection, tenant, ct), ct);
        if (tenantId is null)
        {
            return;
        }

        using var rows = RawRows.Open(this, null, "SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = ?1", tenantId.Value);
        while (rows.Step())
        {
            visit(rows.Int64(0), rows.Bytes(1), rows.Bytes(2));
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The tenant's log rows from a seq on, in blocks; in a snapshot (<see cref="OpenSnapshotAsync"/>), or the latest committed state when it is null.</summary>
    private sealed class SqliteLogRowReader(SqliteStore store, string tenant, long fromSeq, SnapshotRef? snapshot) : ILogRowReader
    {
        // The same rows and columns as ReadLogAsync: a range scan of the table in log order.
        private const string Sql =
            """
            SELECT e.rid, e.seq, e.tenant_id, e.occurred_at, e.received_at, e.event_id, e.body, e.hash, e.type, e.action, e.category, e.outcome,
                   e.actor_id, e.actor_email, e.ip, e.search_text, e.content_digest, e.client_omitted, e.personal
            FROM events e
            WHERE e.rid >= ?1 AND e.rid < ?2
            ORDER BY e.rid
            """;

        // The side rows of split events, one scan per part of event_personal, each in rid order (its key order), merged
        // with the events rows as they come: two sequential reads instead of a lookup of each event's side row, which
        // took about as long as reading the events table itself. A split row's email and IP come from its side row (as
        // searches read them), and its values are joined back below.
        private const string SideSql =
            """
            SELECT rid, record, text, email, ip FROM event_personal
            WHERE tenant_id = ?1 AND bucket = ?2 AND rid >= ?3 AND rid < ?4
            ORDER BY rid
            """;

        private static readonly LogColumn[] ByteColumns =
        [
            LogColumn.Id, LogColumn.Body, LogColumn.Hash, LogColumn.Type, LogColumn.Action, LogColumn.Category, LogColumn.Outcome,
            LogColumn.ActorId, LogColumn.ActorEmail, LogColumn.Ip, LogColumn.SearchText,
        ];

        private RawRows? _rows;
        private readonly RawRows?[] _side = new RawRows?[SubjectBuckets];
        private readonly long[] _sideRid = new long[SubjectBuckets];
        private byte[] _joined = new byte[8192];
        private long _start;
        private long _tenantId;
        private bool _done;

        public async ValueTask<bool> FillAsync(LogRowBlock block, CancellationToken ct)
        {
            block.Clear();
            if (_done || (_rows is null && !await OpenAsync(ct)))
            {
                return false;
            }

            var rows = _rows!;
            while (!block.IsFull)
            {
                if (!rows.Step())
                {
                    _done = true;
                    break;
                }

                block.Add(rows.Int64(0) - _start, rows.Int64(1), rows.Int64(2) == _tenantId, rows.Int64(3), rows.Int64(4));
                var split = !rows.IsNull(18) && PersonalSplit.IsShape(rows.Bytes(18));
                for (var i = 0; i < ByteColumns.Length; i++)
                {
                    if (!rows.IsNull(i + 5) && !(split && ByteColumns[i] == LogColumn.Body))
                    {
                        block.Set(ByteColumns[i], rows.Bytes(i + 5));
                    }
                }

                if (!rows.IsNull(16))
                {
                    block.Set(LogColumn.ContentDigest, rows.Bytes(16));
                }

                var erasedSplit = false;
                if (split)
                {
                    var part = SidePart(rows.Int64(0));
                    var side = part < 0 ? null : _side[part];
                    erasedSplit = SetSplit(block, rows, side);
                    if (side is not null)
                    {
                        if (!side.IsNull(3))
                        {
                            block.Set(LogColumn.ActorEmail, side.Bytes(3));
                        }

                        if (!side.IsNull(4))
                        {
                            block.Set(LogColumn.Ip, side.Bytes(4));
                        }

                        Advance(part);
                    }
                }
                else if (!rows.IsNull(18))
                {
                    block.Set(LogColumn.Personal, rows.Bytes(18));
                }

                // A split event whose values were erased keeps the digest of what its client sent (an erasure writes no
                // events row), which its erased body can no longer give: the digest is not checked, as for older rows.
                if (!rows.IsNull(17) && !erasedSplit)
                {
                    block.SetClientOmitted((int)rows.Int64(17));
                }

                ct.ThrowIfCancellationRequested();
            }

            return block.Count > 0;
        }

        /// <summary>
        /// The columns of a split row as the verifier reads any other: the body and personal record joined from the masked body,
        /// shape and values (into a buffer kept for the pass, no array per row), and beside the row's public text its side
        /// row's personal text. A shape or values record that cannot be joined leaves the masked body and the shape, whose leaf hash
        /// then cannot match: the event is named as changed. Answers whether any of its values is erased.
        /// </summary>
        private bool SetSplit(LogRowBlock block, RawRows rows, RawRows? side)
        {
            var masked = rows.Bytes(6);
            var shape = rows.Bytes(18);
            var values = side is null ? default : side.Bytes(1);
            block.Set(LogColumn.PersonalText, side is null ? default : side.Bytes(2));
            try
            {
                if (side is not null && values.IsEmpty)
                {
                    throw new InvalidDataException("not a values record");
                }

                var capacity = PersonalSplit.JoinedCapacity(masked, shape, values);
                if (_joined.Length < capacity)
                {
                    _joined = new byte[Math.Max(capacity, _joined.Length * 2)];
                }

                var (bodyLength, recordLength) = PersonalSplit.Join(masked, shape, values, _joined);
                block.Set(LogColumn.Body, _joined.AsSpan(0, bodyLength));
                block.Set(LogColumn.Personal, _joined.AsSpan(bodyLength, recordLength));
                return (_joined[bodyLength] & ~PersonalValues.Marked) != PersonalValues.Salted;
            }
            catch (InvalidDataException)
            {
                block.Set(LogColumn.Body, masked);
                block.Set(LogColumn.Personal, shape);
                return false;
            }
        }

        private async Task<bool> OpenAsync(CancellationToken ct)
        {
            var tenantId = await store.ReadAsync(connection => store.TenantIdAsync(connection, tenant, ct), ct);
            if (tenantId is null)
            {
                _done = true;
                return false;
            }

            _tenantId = tenantId.Value;
            _start = Rid(_tenantId, 0);
            _rows = RawRows.Open(store, snapshot, Sql, together: true, _start + Math.Max(fromSeq, 1), _start + SeqsPerTenant);
            for (var part = 0; part < SubjectBuckets; part++)
            {
                _side[part] = _rows.Also(SideSql, _tenantId, part, _start + Math.Max(fromSeq, 1), _start + SeqsPerTenant);
                Advance(part);
            }

            return true;
        }

        /// <summary>The part whose next side row is the one of <paramref name="rid"/>, or -1 when it has none (every value erased); side rows of no split event are passed over.</summary>
        private int SidePart(long rid)
        {
            var found = -1;
            for (var part = 0; part < SubjectBuckets; part++)
            {
                while (_sideRid[part] < rid)
                {
                    Advance(part);
                }

                if (_sideRid[part] == rid)
                {
                    found = part;
                }
            }

            return found;
        }

        private void Advance(int part) => _sideRid[part] = _side[part]!.Step() ? _side[part]!.Int64(0) : long.MaxValue;

        public ValueTask DisposeAsync()
        {
            foreach (var side in _side)
            {
                side?.Dispose();
            }

            _rows?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// One query over a connection of its own, read-only and without SQLite's per-connection mutex, for
    /// the verifier's passes over millions of rows: only its reader uses it, one call at a time, and the
    /// mutex cost a lock and an unlock on every column of every row. Columns are read by calling SQLite's
    /// accessors directly: through SQLitePCL each call costs about 50 ns of marshalling. It reads the
    /// snapshot of its first step, as any reader does in WAL mode, or the snapshot it is given.
    /// </summary>
    private sealed unsafe partial class RawRows : IDisposable
    {
        private const string Library = "e_sqlite3";

        private readonly sqlite3 _db;
        private readonly bool _ownsConnection;
        private sqlite3_stmt? _statement;
        private nint _handle;

        private RawRows(sqlite3 db, bool ownsConnection = true)
        {
            _db = db;
            _ownsConnection = ownsConnection;
        }

        /// <inheritdoc cref="Open(SqliteStore, SnapshotRef?, string, bool, long[])"/>
        public static RawRows Open(SqliteStore store, SnapshotRef? snapshot, string sql, params long[] parameters) => Open(store, snapshot, sql, together: false, parameters);

        /// <summary>
        /// Prepares <paramref name="sql"/> with its parameters, reading a snapshot when one is given (<c>sqlite3_snapshot_open</c>, in a
        /// transaction held until disposed), else the latest state; <paramref name="together"/>: in one read transaction with the
        /// statements <see cref="Also"/> adds, so that all of them read the same state.
        /// </summary>
        public static RawRows Open(SqliteStore store, SnapshotRef? snapshot, string sql, bool together, params long[] parameters)
        {
            Check(raw.sqlite3_open_v2(store._options.DatabasePath, out var db, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null), db);
            var rows = new RawRows(db);
            try
            {
                Check(raw.sqlite3_busy_timeout(db, (int)store._options.BusyTimeout.TotalMilliseconds), db);
                Check(raw.sqlite3_exec(db, $"PRAGMA mmap_size=268435456; PRAGMA cache_size=-{store._options.CacheSizeKib};"), db);
                if (snapshot is not null)
                {
                    // A read first, so the connection knows the file is in WAL mode, which opening a snapshot needs.
                    Check(raw.sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema; BEGIN"), db);
                    if (snapshot.Handle != 0)
                    {
                        Check(SnapshotNative.Open(db.DangerousGetHandle(), "main", snapshot.Handle), db);
                    }
                    else
                    {
                        rows.CheckSameState(snapshot);
                    }
                }
                else if (together)
                {
                    // Deferred: the read transaction, and the state all its statements read, begins at the first step of any.
                    Check(raw.sqlite3_exec(db, "BEGIN"), db);
                }

                rows.Prepare(sql, parameters);
                return rows;
            }
            catch
            {
                rows.Dispose();
                throw;
            }
        }

        /// <summary>Another statement on the same connection and in the same read transaction; dispose it before this one.</summary>
        public RawRows Also(string sql, params long[] parameters)
        {
            var rows = new RawRows(_db, ownsConnection: false);
            rows.Prepare(sql, parameters);
            return rows;
        }

        private void Prepare(string sql, long[] parameters)
        {
            Check(raw.sqlite3_prepare_v2(_db, sql, out var statement), _db);
            _statement = statement;
            _handle = statement.DangerousGetHandle();
            for (var i = 0; i < parameters.Length; i++)
            {
                Check(raw.sqlite3_bind_int64(statement, i + 1, parameters[i]), _db);
            }
        }

        /// <summary>
        /// Without a snapshot handle (SQLite has none to give while the WAL holds no frame yet), the read
        /// transaction just begun must see the tenant exactly as the snapshot's does, or it is not the same snapshot.
        /// </summary>
        private void CheckSameState(SnapshotRef snapshot)
        {
            Check(raw.sqlite3_prepare_v2(_db, SnapshotRef.FingerprintSql, out var statement), _db);
            using (statement)
            {
                Check(raw.sqlite3_bind_int64(statement, 1, snapshot.TenantId), _db);
                var step = raw.sqlite3_step(statement);
                var state = step == raw.SQLITE_ROW
                    ? SnapshotRef.Fingerprint(raw.sqlite3_column_int64(statement, 0), raw.sqlite3_column_blob(statement, 1), raw.sqlite3_column_int64(statement, 2), raw.sqlite3_column_int64(statement, 3))
                    : step == raw.SQLITE_DONE ? [] : throw Error(step, _db);
                if (!state.AsSpan().SequenceEqual(snapshot.State))
                {
                    throw new LogSnapshotMovedException();
                }
            }
        }

        /// <summary>Moves to the next row; false when there is none.</summary>
        public bool Step()
        {
            var step = raw.sqlite3_step(_statement);
            return step == raw.SQLITE_ROW || (step == raw.SQLITE_DONE ? false : throw Error(step, _db));
        }

        public long Int64(int column) => ColumnInt64(_handle, column);

        public bool IsNull(int column) => ColumnType(_handle, column) == raw.SQLITE_NULL;

        /// <summary>The column's bytes (text as UTF-8), valid until the next step.</summary>
        public ReadOnlySpan<byte> Bytes(int column)
        {
            // sqlite3_column_blob first, then sqlite3_column_bytes: the order SQLite documents.
            var data = ColumnBlob(_handle, column);
            var length = ColumnLength(_handle, column);
            return data == 0 ? default : new ReadOnlySpan<byte>((void*)data, length);
        }

        public void Dispose()
        {
            _statement?.Dispose();
            if (_ownsConnection)
            {
                _db.Dispose();
            }
        }

        private static void Check(int code, sqlite3 db)
        {
            if (code != raw.SQLITE_OK)
            {
                throw Error(code, db);
            }
        }

        private static SqliteException Error(int code, sqlite3 db) => new($"reading the log failed: {raw.sqlite3_errmsg(db).utf8_to_string()}", code);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
        [SuppressGCTransition]
        private static partial long ColumnInt64(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
        [SuppressGCTransition]
        private static partial int ColumnType(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_blob")]
        [SuppressGCTransition]
        private static partial nint ColumnBlob(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
        [SuppressGCTransition]
        private static partial int ColumnLength(nint statement, int column);
    }
}
