using Microsoft.Data.Sqlite;
using Witness.Catalog;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : ICatalogStore
{
    // The global layer is stored as '', which no tenant can be named; NULL would not be unique in a key.
    private const string GlobalLayer = "";
    private const string BumpVersion = "UPDATE catalog_version SET version = version + 1 WHERE id = 1";

    public Task<IReadOnlyList<StoredCatalogEntry>> ListCatalogAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredCatalogEntry>>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {StoreRows.CatalogColumns} FROM catalog_entries ORDER BY layer, action";
            await using var reader = await command.ExecuteReaderAsync(ct);
            var entries = new List<StoredCatalogEntry>();
            while (await reader.ReadAsync(ct))
            {
                entries.Add(Rows.CatalogEntry(reader));
            }

            return entries;
        }, ct);

    public Task<long> CatalogVersionAsync(CancellationToken ct) =>
        ReadAsync(async connection => Convert.ToInt64(await ScalarAsync(connection, "SELECT version FROM catalog_version WHERE id = 1", ct), System.Globalization.CultureInfo.InvariantCulture), ct);

    public Task UpsertCatalogAsync(string? tenant, IReadOnlyList<ActionDefinition> definitions, DateTimeOffset updatedAt, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText =
                """
                INSERT INTO catalog_entries (layer, action, category, type, crud, template, description, updated_at, personal)
                VALUES ($layer, $action, $category, $type, $crud, $template, $description, $updated, $personal)
                ON CONFLICT (layer, action) DO UPDATE SET category = excluded.category, type = excluded.type, crud = excluded.crud,
                    template = excluded.template, description = excluded.description, updated_at = excluded.updated_at, personal = excluded.personal
                """;
            var layer = command.Parameters.AddWithValue("$layer", tenant ?? GlobalLayer);
            var action = command.Parameters.Add("$action", SqliteType.Text);
            var category = command.Parameters.Add("$category", SqliteType.Text);
            var type = command.Parameters.Add("$type", SqliteType.Text);
            var crud = command.Parameters.Add("$crud", SqliteType.Text);
            var template = command.Parameters.Add("$template", SqliteType.Text);
            var description = command.Parameters.Add("$description", SqliteType.Text);
            var personal = command.Parameters.Add("$personal", SqliteType.Text);
            command.Parameters.AddWithValue("$updated", updatedAt.ToUnixTimeMilliseconds());
            foreach (var d in definitions)
            {
                action.Value = d.Action;
                category.Value = d.Category;
                type.Value = d.Type;
                crud.Value = d.Crud;
                template.Value = d.Template;
                description.Value = d.Description;
                personal.Value = (object?)StoreRows.PersonalPathsText(d) ?? DBNull.Value;
                await command.ExecuteNonQueryAsync(ct);
            }

            await ExecuteAsync(connection, BumpVersion, ct, tx);
            await tx.CommitAsync(ct);
            return definitions.Count;
        }, ct);

    public Task<bool> DeleteCatalogEntryAsync(string? tenant, string action, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM catalog_entries WHERE layer = $layer AND action = $action";
            command.Parameters.AddWithValue("$layer", tenant ?? GlobalLayer);
            command.Parameters.AddWithValue("$action", action);
            var deleted = await command.ExecuteNonQueryAsync(ct) > 0;
            if (deleted)
            {
                await ExecuteAsync(connection, BumpVersion, ct, tx);
            }

            await tx.CommitAsync(ct);
            return deleted;
        }, ct);
}
