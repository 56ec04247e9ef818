using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Witness.Storage.Postgres;

/// <summary>
/// The store for several instances: one PostgreSQL database shared by every Witness process. Writers
/// of one tenant are serialized by a row lock on the tenant's log head inside each group commit, so
/// seq stays gap-free and the Merkle log consistent whichever instance appends. Migrations run at
/// start under an advisory lock; the store refuses to start unless commits are durable
/// (<c>fsync</c> and <c>synchronous_commit</c> on). Ingest and reads run as
/// <see cref="PostgresStoreOptions.ApplicationRole"/>, which cannot update or delete events.
/// </summary>
public sealed partial class PostgresStore : IWitnessStore, ISharedLogStore
{
    /// <summary>The shared readers of configuration rows; times are kept as <c>timestamptz</c>, lists of strings as <c>text[]</c>.</summary>
    private static readonly StoreRows Rows = new((r, i) => new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero), (r, i) => r.GetFieldValue<string[]>(i));

    // The advisory lock that serializes schema changes: migrations and grants (held for the session
    // while they run) and the partition functions of 001_initial.sql (held for their transaction).
    // Catalog rows such as the ACL of events are changed by both, and PostgreSQL fails concurrent
    // changes of one catalog row ("tuple concurrently updated") instead of waiting.
    private const long MigrationLockKey = 8386219411112270593;

    private readonly PostgresStoreOptions _options;
    private readonly NpgsqlDataSource _owner;
    private NpgsqlDataSource? _data;
    private NpgsqlDataSource? _retention;

    public PostgresStore(PostgresStoreOptions options)
    {
        _options = options;
        try
        {
            _owner = NpgsqlDataSource.Create(options.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"the PostgreSQL connection string is not valid: {ex.Message}", ex);
        }
    }

    public string Kind => "postgres";

    /// <summary>The role ingest and reads run as: the application role, or the connecting role when it may not assume it.</summary>
    public string? RunningAsRole { get; private set; }

    private NpgsqlDataSource Data => _data ?? throw new InvalidOperationException("the store is not initialized");

    /// <summary>Connections for purging: as the retention role, the one that may delete events.</summary>
    private NpgsqlDataSource RetentionData => _retention ?? throw new InvalidOperationException("the store is not initialized");

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using (var connection = await OpenOwnerAsync(ct))
        {
            await MigrateAsync(connection, ct);
            _data = await RoleDataSourceAsync(connection, _options.ApplicationRole, ct);
            _retention = await RoleDataSourceAsync(connection, _options.RetentionRole, ct);
        }

        await using (var connection = await Data.OpenConnectionAsync(ct))
        {
            await CheckDurabilityAsync(connection, ct);
            RunningAsRole = (string?)await ScalarAsync(connection, "SELECT current_user", ct);
        }

        var month = MonthOf(_options.Clock.GetUtcNow());
        for (var i = 0; i <= _options.MonthsAhead; i++)
        {
            await EnsurePartitionAsync(month.AddMonths(i), ct);
        }

        if (_options.IndexTextBacklogAtStart && await IndexTextBacklogAsync(ct) > 0)
        {
            // A table of new blocks without statistics is read by a sequential scan (200 ms at a million events) until
            // autovacuum analyzes it; and a bulk of new GIN entries waits in the index's pending list, which every
            // search scans (0.5 s at 15,600 blocks) until it is merged.
            await using var owner = await OpenOwnerAsync(ct);
            await ExecuteAsync(owner, "ANALYZE text_blocks; SELECT gin_clean_pending_list('gx_text_blocks')", ct);
        }
    }

    private async Task<NpgsqlConnection> OpenOwnerAsync(CancellationToken ct)
    {
        try
        {
            return await _owner.OpenConnectionAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot connect to PostgreSQL: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Refuses to run unless a commit is flushed to disk before it returns: with <c>fsync</c> or
    /// <c>synchronous_commit</c> off, an acknowledged event can vanish in a crash (SPEC §9).
    /// Read on a connection exactly like those that append, so settings from the connection string count.
    /// </summary>
    private static async Task CheckDurabilityAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var fsync = (string?)await ScalarAsync(connection, "SHOW fsync", ct);
        var synchronousCommit = (string?)await ScalarAsync(connection, "SHOW synchronous_commit", ct);
        if (fsync != "on" || synchronousCommit == "off")
        {
            throw new InvalidOperationException(
                $"PostgreSQL reports fsync={fsync}, synchronous_commit={synchronousCommit}; Witness needs fsync=on and synchronous_commit=on " +
                "(or local, remote_write, remote_apply) so acknowledged events survive a crash, and will not start without them. " +
                "Set them in postgresql.conf (or for the database: ALTER DATABASE ... SET synchronous_commit = on) and remove any override from the connection string.");
        }
    }

    /// <summary>Applies the pending numbered migrations, one transaction each, while holding the migration lock so instances starting together take turns.</summary>
    private static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockKey})", ct);
        try
        {
            var assembly = typeof(PostgresStore).Assembly;
            var scripts = assembly.GetManifestResourceNames()
                .Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
                .Select(n => (Name: n, Version: int.Parse(n.Split('.')[^2].Split('_')[0], CultureInfo.InvariantCulture)))
                .OrderBy(s => s.Version)
                .ToList();

            var applied = new HashSet<int>();
            if (await ScalarAsync(connection, "SELECT to_regclass('schema_migrations')::text", ct) is null)
            {
                await ExecuteAsync(connection, "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", ct);
            }
            else
            {
                await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var pending = scripts.Where(s => !applied.Contains(s.Version)).ToList();
            foreach (var (name, version) in pending)
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                try
                {
                    await ExecuteAsync(connection, ReadResource(assembly, name), ct);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL migration {version} needs a role that owns the Witness schema ({ex.MessageText}); start Witness once with the owner's connection string, then run it with the application login (docs/postgres.md).", ex);
                }

                await ExecuteAsync(connection, $"INSERT INTO schema_migrations (version) VALUES ({version})", ct);
                await tx.CommitAsync(ct);
            }

            if (await OwnsSchemaAsync(connection, ct))
            {
                await ExecuteAsync(connection, ReadResource(assembly, assembly.GetManifestResourceNames().Single(n => n.EndsWith(".Grants.sql", StringComparison.Ordinal))), ct);
            }
        }
        finally
        {
            // A broken connection has ended its session, and with it the lock.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
    }

    private static async Task<bool> OwnsSchemaAsync(NpgsqlConnection connection, CancellationToken ct) =>
        await ScalarAsync(connection, "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'events'::regclass", ct) is true;

    /// <summary>
    /// A data source on the same connection string with <paramref name="roleName"/> set at connection
    /// start when the connecting role may assume it (ingest and reads use the application role,
    /// retention the retention role). The role stays set when a pooled connection is reset, because
    /// it is the session's default.
    /// </summary>
    private async Task<NpgsqlDataSource> RoleDataSourceAsync(NpgsqlConnection connection, string roleName, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role($1, 'MEMBER')", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = roleName });
        var assume = await command.ExecuteScalarAsync(ct) is true;
        return NpgsqlDataSource.Create(SessionConnectionString(_options.ConnectionString, assume ? roleName : null));
    }

    /// <summary>The connection string of the store's sessions: <paramref name="role"/> (when given) set at start, JIT off, statements prepared.</summary>
    internal static string SessionConnectionString(string connectionString, string? role)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (role is not null)
        {
            var escaped = role.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? $"-c role={escaped}" : $"{builder.Options} -c role={escaped}";
        }

        // JIT compilation costs 50-100 ms whenever an estimate crosses jit_above_cost, which a short read over
        // many months or block ranges does while it runs in a few milliseconds: it made the slowest of 50
        // free-text first pages 5-10 times the median (bench/RESULTS.md). An operator's own jit setting wins.
        if (builder.Options?.Contains("jit", StringComparison.OrdinalIgnoreCase) != true)
        {
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c jit=off" : $"{builder.Options} -c jit=off";
        }

        // The statements are few and repeated (a search is one of a bounded set of shapes). Planning a
        // query over events costs about 0.3 ms per month partition, 12 ms at three years, more than
        // running it; prepared on each pooled connection, it is planned once there.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 100;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    /// <summary>Opens a connection as the application role; for tests that check what that role may do.</summary>
    internal ValueTask<NpgsqlConnection> OpenApplicationConnectionAsync(CancellationToken ct) => Data.OpenConnectionAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (_data is not null)
        {
            await _data.DisposeAsync();
        }

        if (_retention is not null)
        {
            await _retention.DisposeAsync();
        }

        await _owner.DisposeAsync();
        _headsAppends.Dispose();
    }
}
