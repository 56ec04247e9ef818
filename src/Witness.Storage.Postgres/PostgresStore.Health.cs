using System.Globalization;
using Npgsql;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IStoreHealth
{
    public async Task<StoreHealth> CheckHealthAsync(CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var fsync = (string?)await ScalarAsync(connection, "SHOW fsync", ct);
        var synchronousCommit = (string?)await ScalarAsync(connection, "SHOW synchronous_commit", ct);
        var applied = Convert.ToInt32(await ScalarAsync(connection, "SELECT count(*) FROM schema_migrations", ct), CultureInfo.InvariantCulture);
        var known = typeof(PostgresStore).Assembly.GetManifestResourceNames()
            .Count(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal));
        string? writeError = null;
        try
        {
            // Fails on a standby, a read-only transaction default, or a role that lost its rights.
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var probe = new NpgsqlCommand("UPDATE catalog_version SET version = version WHERE id = 1", connection, tx))
            {
                await probe.ExecuteNonQueryAsync(ct);
            }

            await tx.RollbackAsync(ct);
        }
        catch (PostgresException ex)
        {
            writeError = ex.MessageText;
        }

        return new StoreHealth(writeError, fsync == "on" && synchronousCommit != "off", $"fsync={fsync}, synchronous_commit={synchronousCommit}", applied, known);
    }
}
