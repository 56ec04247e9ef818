using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is on
/// disk before it is acknowledged. One connection writes (the ingest loop's group commits and the
/// occasional settings change, serialized); readers use a small pool of their own connections and
/// never block the writer.
/// </summary>
public sealed partial class SqliteStore : IWitnessStore
{
    private readonly SqliteStoreOptions _options;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentBag<SqliteConnection> _readers = new();
    private SqliteConnection? _writer;
    private long _appendedSinceOptimize;

    /// <summary>(tenant id, email, actor id) pairs known to be committed in actor_emails; touched only by the writer, under the write lock.</summary>
    private readonly HashSet<(long, string, string)> _knownEmailPairs = [];
    private const int MaxKnownEmailPairs = 200_000;

    /// <summary>The shared readers of configuration rows; times are kept as Unix milliseconds, lists of strings as JSON arrays.</summary>
    private static readonly StoreRows Rows = new(
        (r, i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i)),
        (r, i) => System.Text.Json.JsonSerializer.Deserialize(r.GetString(i), StreamListJson.Default.IReadOnlyListString) ?? []);

    /// <summary>Events per tenant the row id has room for (migration 005): rid = tenant_id * 2^40 + seq.</summary>
    internal const long SeqsPerTenant = 1L << 40;

    /// <summary>The row id of a tenant's event: its log position, so a tenant's log is one ordered range of the table.</summary>
    internal static long Rid(long tenantId, long seq) => (tenantId * SeqsPerTenant) + seq;

    public SqliteStore(SqliteStoreOptions options)
    {
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = (int)options.BusyTimeout.TotalSeconds,
        }.ToString();
    }

    public string Kind => "sqlite";

    public string DatabasePath => _options.DatabasePath;

    public async Task InitializeAsync(CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(_options.DatabasePath));
        if (folder is not null && !Directory.Exists(folder))
        {
            // The database holds password hashes and secrets: a new folder and file are the owner's alone
            // (SQLite gives the -wal and -shm files the database file's permissions).
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (!OperatingSystem.IsWindows() && !File.Exists(_options.DatabasePath))
        {
            new FileStream(_options.DatabasePath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }).Dispose();
        }

        _writer = await OpenAsync(ct);
        await CheckDurabilityAsync(_writer, ct);
        await MigrateAsync(_writer, ct);
        await ExecuteAsync(_writer, "PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;", ct);
        if (_options.IndexTextBacklogAtStart)
        {
            await IndexTextBacklogAsync(ct);
        }
    }

    /// <summary>Refuses to run unless commits are fsynced: WAL with synchronous=FULL (or EXTRA), read back from the engine.</summary>
    private static async Task CheckDurabilityAsync(SqliteConnection connection, CancellationToken ct)
    {
        var journal = (string?)await ScalarAsync(connection, "PRAGMA journal_mode", ct);
        var synchronous = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA synchronous", ct), System.Globalization.CultureInfo.InvariantCulture);
        if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase) || synchronous < 2)
        {
            throw new InvalidOperationException(
                $"SQLite reports journal_mode={journal}, synchronous={synchronous}; Witness needs WAL with synchronous=FULL (2) or EXTRA (3) so acknowledged events survive a crash, and will not start without it.");
        }
    }

    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken ct)
    {
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", ct);
        var assembly = typeof(SqliteStore).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(n.Split('.')[^2].Split('_')[0], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(s => s.Version);
        foreach (var (name, version) in scripts)
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            var applied = await ScalarAsync(connection, $"SELECT 1 FROM schema_migrations WHERE version = {version}", ct, tx);
            if (applied is null)
            {
                await ExecuteAsync(connection, ReadResource(assembly, name), ct, tx);
                await ExecuteAsync(connection, $"INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, unixepoch())", ct, tx);
            }

            await tx.CommitAsync(ct);
        }
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The memory map of every connection (bytes).</summary>
    private const long WriterMmapSize = 268_435_456;

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        connection.CreateFunction("witness_subject_bucket", (string subject) => Bucket(subject), isDeterministic: true);
        // page_size only takes effect on a new, empty file, so it comes before anything that writes it.
        // 8 KiB pages measured about 20% faster inserts than 4 KiB for ~1 KiB events with their indexes.
        await ExecuteAsync(connection,
            $"PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout={(int)_options.BusyTimeout.TotalMilliseconds}; " +
            $"PRAGMA cache_size=-{_options.CacheSizeKib}; PRAGMA temp_store=MEMORY; PRAGMA mmap_size={WriterMmapSize}; " +
            // Checkpointing every 64 MiB of WAL instead of every 8 MiB: each checkpoint fsyncs inside a
            // commit, and fewer of them measured about 25% more inserts per second. journal_size_limit
            // gives the space back after each one.
            "PRAGMA wal_autocheckpoint=8192; PRAGMA journal_size_limit=67108864; " +
            // Freed cells and pages, and the space a page split leaves behind, are zeroed, so an erased personal
            // value (docs/erasure.md) leaves no older copy in the file: measured within the noise of ingest.
            "PRAGMA secure_delete=ON;", ct);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        if (!_readers.TryTake(out var connection))
        {
            connection = await OpenAsync(ct);
        }

        try
        {
            return await work(connection);
        }
        finally
        {
            if (_readers.Count < 8)
            {
                _readers.Add(connection);
            }
            else
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on the write connection, one writer at a time.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            return await work(_writer ?? throw new InvalidOperationException("the store is not initialized"));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct, SqliteTransaction? tx = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct, SqliteTransaction? tx = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
                _writer = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        while (_readers.TryTake(out var reader))
        {
            await reader.DisposeAsync();
        }

        _writeLock.Dispose();
    }
}
