using Microsoft.Data.Sqlite;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IStoreHealth
{
    public async Task<StoreHealth> CheckHealthAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var journal = (string?)await ScalarAsync(connection, "PRAGMA journal_mode", ct);
        var synchronous = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA synchronous", ct), System.Globalization.CultureInfo.InvariantCulture);
        var applied = Convert.ToInt32(await ScalarAsync(connection, "SELECT count(*) FROM schema_migrations", ct), System.Globalization.CultureInfo.InvariantCulture);
        var known = typeof(SqliteStore).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        // SQLite hands a new connection a descriptor it kept open from before, so a file that became
        // read-only is found by asking for write access here; the folder must take new files (the WAL).
        var writeError = FilesRefuseWrites();
        try
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            await ExecuteAsync(connection, "UPDATE catalog_version SET version = version WHERE id = 1", ct, tx);
            await tx.RollbackAsync(ct);
        }
        catch (SqliteException ex)
        {
            writeError ??= ex.Message;
        }

        return new StoreHealth(writeError, string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase) && synchronous >= 2,
            $"journal_mode={journal}, synchronous={synchronous}", applied, known);
    }

    private string? FilesRefuseWrites()
    {
        var database = _options.DatabasePath;
        try
        {
            foreach (var file in (string[])[database, database + "-wal"])
            {
                if (!File.Exists(file))
                {
                    continue;
                }

                if (OperatingSystem.IsWindows())
                {
                    using var opened = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                }
                else if (FileWriteAccess.Refusal(file) is { } refusal)
                {
                    // Asked, not opened: closing a descriptor of a file SQLite has open drops its locks (FileWriteAccess).
                    return refusal;
                }
            }

            var probe = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database))!, $".witness-ready-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }
}
