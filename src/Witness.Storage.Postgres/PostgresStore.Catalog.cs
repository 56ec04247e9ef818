using Npgsql;
using NpgsqlTypes;
using Witness.Catalog;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : ICatalogStore
{
    // The global layer is stored as '', which no tenant can be named; NULL would not be unique in a key.
    private const string GlobalLayer = "";

    // In the transaction that changes the entries, so a reader that saw the new number sees the new entries.
    private const string BumpCatalogVersion = "UPDATE catalog_version SET version = version + 1 WHERE id = 1";

    public async Task<IReadOnlyList<StoredCatalogEntry>> ListCatalogAsync(CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"SELECT {StoreRows.CatalogColumns} FROM catalog_entries ORDER BY layer, action", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new List<StoredCatalogEntry>();
        while (await reader.ReadAsync(ct))
        {
            entries.Add(Rows.CatalogEntry(reader));
        }

        return entries;
    }

    public async Task<long> CatalogVersionAsync(CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        return (long)(await ScalarAsync(connection, "SELECT version FROM catalog_version WHERE id = 1", ct))!;
    }

    public async Task UpsertCatalogAsync(string? tenant, IReadOnlyList<ActionDefinition> definitions, DateTimeOffset updatedAt, CancellationToken ct)
    {
        // One statement cannot update a row twice; an action named twice keeps its last entry, as row-by-row writes would.
        definitions = [.. definitions.GroupBy(d => d.Action, StringComparer.Ordinal).Select(g => g.Last())];
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // One statement for the whole layer: a preset of hundreds of entries is one round trip.
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO catalog_entries (layer, action, category, type, crud, template, description, updated_at, personal)
            SELECT $1, d.action, d.category, d.type, d.crud, d.template, d.description, $8, d.personal
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[]) AS d(action, category, type, crud, template, description, personal)
            ON CONFLICT (layer, action) DO UPDATE SET category = excluded.category, type = excluded.type, crud = excluded.crud,
                template = excluded.template, description = excluded.description, updated_at = excluded.updated_at, personal = excluded.personal
            """, connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant ?? GlobalLayer });
            command.Parameters.Add(TextArray(definitions.Select(d => d.Action)));
            command.Parameters.Add(TextArray(definitions.Select(d => d.Category)));
            command.Parameters.Add(TextArray(definitions.Select(d => d.Type)));
            command.Parameters.Add(TextArray(definitions.Select(d => d.Crud)));
            command.Parameters.Add(TextArray(definitions.Select(d => d.Template)));
            command.Parameters.Add(TextArray(definitions.Select(d => d.Description)));
            command.Parameters.Add(new NpgsqlParameter { Value = updatedAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter { Value = definitions.Select(StoreRows.PersonalPathsText).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(ct);
        }

        await using (var bump = new NpgsqlCommand(BumpCatalogVersion, connection, tx))
        {
            await bump.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    public async Task<bool> DeleteCatalogEntryAsync(string? tenant, string action, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        bool deleted;
        await using (var command = new NpgsqlCommand("DELETE FROM catalog_entries WHERE layer = $1 AND action = $2", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant ?? GlobalLayer });
            command.Parameters.Add(new NpgsqlParameter { Value = action });
            deleted = await command.ExecuteNonQueryAsync(ct) > 0;
        }

        if (deleted)
        {
            await using var bump = new NpgsqlCommand(BumpCatalogVersion, connection, tx);
            await bump.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return deleted;
    }

    private static NpgsqlParameter TextArray(IEnumerable<string> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
