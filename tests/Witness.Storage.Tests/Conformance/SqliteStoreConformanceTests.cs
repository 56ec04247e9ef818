using Microsoft.Data.Sqlite;
using Witness.Storage.Sqlite;

namespace Witness.Storage.Tests.Conformance;

/// <summary>The conformance suite on SQLite: a database file in a temp folder per test class.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests, IDisposable
{
    private readonly string _folder = TempFolder.Create("witness-sqlite-conformance");

    protected override async Task<IWitnessStore> OpenStoreAsync()
    {
        var store = new SqliteStore(SqliteStoreOptions.InFolder(_folder));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IWitnessStore> OpenStoreAsync(int textBlockEvents, bool indexTextBacklogAtStart)
    {
        var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = SqliteStoreOptions.InFolder(_folder).DatabasePath, TextBlockEvents = textBlockEvents, IndexTextBacklogAtStart = indexTextBacklogAtStart });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IWitnessStore> OpenStoreAsync(TimeProvider clock, bool fillKeyDaysOnCount = true)
    {
        var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = SqliteStoreOptions.InFolder(_folder).DatabasePath, Clock = clock, FillKeyDaysOnCount = fillKeyDaysOnCount });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<long> SqlAsync(string tenant, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={SqliteStoreOptions.InFolder(_folder).DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql.Replace("{tenant}", $"(SELECT id FROM tenants WHERE name = '{tenant}')", StringComparison.Ordinal);
        return await command.ExecuteScalarAsync() is long value ? value : 0;
    }

    protected override string BlobLiteral(string hex) => $"x'{hex}'";

    protected override Task<long> TextBlocksHoldingAsync(string tenant, int trigram) =>
        SqlAsync(tenant, $"SELECT count(*) FROM text_block_terms f CROSS JOIN text_blocks r ON r.block_id = f.rowid WHERE text_block_terms MATCH '{Search.TextTrigrams.Token(trigram)}' AND r.tenant_id = {{tenant}}");

    protected override Task<long> IndexTextBacklogAsync(IWitnessStore store) => ((SqliteStore)store).IndexTextBacklogAsync(CancellationToken.None);

    protected override async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder, "witness.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public void Dispose() => TempFolder.Delete(_folder);
}
