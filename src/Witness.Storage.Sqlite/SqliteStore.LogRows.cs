using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Witness.Storage;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// The tenant's log in blocks, read through SQLite's own statement API: each column's bytes are
    /// copied straight from SQLite into the block, with no string or array per row (reading a million
    /// rows through <see cref="ReadLogAsync"/> costs about four seconds of CPU, most of it allocation).
    /// </summary>
    public ILogRowReader OpenLogRows(string tenant, long fromSeq, CancellationToken ct) => new SqliteLogRowReader(this, tenant, fromSeq);

    private sealed partial class SqliteLogRowReader(SqliteStore store, string tenant, long fromSeq) : ILogRowReader
    {
        // The same rows and columns as ReadLogAsync: a range scan of the table in log order.
        private const string Sql =
            """
            SELECT rid, seq, tenant_id, occurred_at, received_at, event_id, body, hash, type, action, category, outcome,
                   actor_id, actor_email, ip, search_text
            FROM events
            WHERE rid >= ?1 AND rid < ?2
            ORDER BY rid
            """;

        private static readonly LogColumn[] ByteColumns =
        [
            LogColumn.Id, LogColumn.Body, LogColumn.Hash, LogColumn.Type, LogColumn.Action, LogColumn.Category, LogColumn.Outcome,
            LogColumn.ActorId, LogColumn.ActorEmail, LogColumn.Ip, LogColumn.SearchText,
        ];

        private SqliteConnection? _connection;
        private sqlite3_stmt? _statement;
        private long _start;
        private long _tenantId;
        private bool _done;

        public async ValueTask<bool> FillAsync(LogRowBlock block, CancellationToken ct)
        {
            block.Clear();
            if (_done || (_statement is null && !await OpenAsync(ct)))
            {
                return false;
            }

            var statement = _statement!;
            while (!block.IsFull)
            {
                var step = raw.sqlite3_step(statement);
                if (step == raw.SQLITE_DONE)
                {
                    _done = true;
                    break;
                }

                if (step != raw.SQLITE_ROW)
                {
                    throw new SqliteException($"reading the log failed: {raw.sqlite3_errmsg(_connection!.Handle).utf8_to_string()}", step);
                }

                var handle = statement.DangerousGetHandle();
                block.Add(
                    Native.ColumnInt64(handle, 0) - _start,
                    Native.ColumnInt64(handle, 1),
                    Native.ColumnInt64(handle, 2) == _tenantId,
                    Native.ColumnInt64(handle, 3),
                    Native.ColumnInt64(handle, 4));
                for (var i = 0; i < ByteColumns.Length; i++)
                {
                    var ordinal = i + 5;
                    if (Native.ColumnType(handle, ordinal) != raw.SQLITE_NULL)
                    {
                        block.Set(ByteColumns[i], Native.ColumnBytes(handle, ordinal));
                    }
                }

                ct.ThrowIfCancellationRequested();
            }

            return block.Count > 0;
        }

        private async Task<bool> OpenAsync(CancellationToken ct)
        {
            _connection = await store.OpenAsync(ct);
            var tenantId = await store.TenantIdAsync(_connection, tenant, ct);
            if (tenantId is null)
            {
                _done = true;
                return false;
            }

            _tenantId = tenantId.Value;
            _start = Rid(_tenantId, 0);
            Check(raw.sqlite3_prepare_v2(_connection.Handle, Sql, out var statement));
            _statement = statement;
            Check(raw.sqlite3_bind_int64(statement, 1, _start + Math.Max(fromSeq, 1)));
            Check(raw.sqlite3_bind_int64(statement, 2, _start + SeqsPerTenant));
            return true;
        }

        private void Check(int code)
        {
            if (code != raw.SQLITE_OK)
            {
                throw new SqliteException($"reading the log failed: {raw.sqlite3_errmsg(_connection!.Handle).utf8_to_string()}", code);
            }
        }

        /// <summary>
        /// SQLite's column accessors called directly: through SQLitePCL each call costs about 50 ns of
        /// marshalling, and a row has sixteen columns. The statement is SQLitePCL's (prepared and stepped
        /// there, kept alive by the reader); these only read the current row, as SQLite allows between steps.
        /// </summary>
        private static unsafe partial class Native
        {
            private const string Library = "e_sqlite3";

            [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
            [SuppressGCTransition]
            public static partial long ColumnInt64(nint statement, int column);

            [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
            [SuppressGCTransition]
            public static partial int ColumnType(nint statement, int column);

            /// <summary>The column's bytes (text as UTF-8), valid until the statement steps again.</summary>
            public static ReadOnlySpan<byte> ColumnBytes(nint statement, int column)
            {
                // sqlite3_column_blob first, then sqlite3_column_bytes: the order SQLite documents.
                var data = ColumnBlob(statement, column);
                var length = ColumnLength(statement, column);
                return data == 0 ? default : new ReadOnlySpan<byte>((void*)data, length);
            }

            [LibraryImport(Library, EntryPoint = "sqlite3_column_blob")]
            [SuppressGCTransition]
            private static partial nint ColumnBlob(nint statement, int column);

            [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
            [SuppressGCTransition]
            private static partial int ColumnLength(nint statement, int column);
        }

        public async ValueTask DisposeAsync()
        {
            _statement?.Dispose();
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }
}
