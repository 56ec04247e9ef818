using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Witness.Storage.Sqlite;

/// <summary>
/// One INSERT (or other row write) prepared on the connection and bound by position, for the rows every append writes
/// (several per event) and those an erasure rewrites. ADO.NET parameters look each name up and convert it on every execution, about
/// 7 us of CPU per event beside SQLite's own 12; values here go straight to SQLite. Runs inside the
/// connection's current transaction; errors throw <see cref="SqliteException"/> as commands do.
/// </summary>
internal sealed class SqliteInsertStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _text = new byte[512];

    public SqliteInsertStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Binds the parameter at 1-based <paramref name="index"/>.</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <inheritdoc cref="Bind(int, long)"/>
    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return;
        }

        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (length > _text.Length)
        {
            _text = new byte[Math.Max(length, _text.Length * 2)];
        }

        // SQLite copies the text (SQLITE_TRANSIENT), so one buffer serves every value.
        var written = Encoding.UTF8.GetBytes(value, _text);
        Check(raw.sqlite3_bind_text(_statement, index, _text.AsSpan(0, written)));
    }

    /// <inheritdoc cref="Bind(int, long)"/>
    public void Bind(int index, byte[]? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement once with the bound values, then resets it for the next row.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        try
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);

    public void Dispose() => _statement.Dispose();
}
