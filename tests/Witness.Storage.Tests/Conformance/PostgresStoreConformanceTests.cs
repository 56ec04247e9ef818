using Witness.Storage.Postgres;

namespace Witness.Storage.Tests.Conformance;

/// <summary>The conformance suite on PostgreSQL: a fresh database for the class on the test server.</summary>
public sealed class PostgresStoreConformanceTests(PostgresDatabaseFixture fixture) : StoreConformanceTests, IClassFixture<PostgresDatabaseFixture>, IAsyncLifetime
{
    private readonly List<PostgresTestDatabase> _own = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var database in _own)
        {
            await database.DisposeAsync();
        }
    }

    protected override async Task<IWitnessStore> OpenOwnStoreAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync();
        _own.Add(database);
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IWitnessStore> OpenStoreAsync()
    {
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = fixture.Database.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IWitnessStore> OpenStoreAsync(int textBlockEvents, bool indexTextBacklogAtStart)
    {
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = fixture.Database.ConnectionString, TextBlockEvents = textBlockEvents, IndexTextBacklogAtStart = indexTextBacklogAtStart });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IWitnessStore> OpenStoreAsync(TimeProvider clock, bool fillKeyDaysOnCount = true)
    {
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = fixture.Database.ConnectionString, Clock = clock, FillKeyDaysOnCount = fillKeyDaysOnCount });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<long> SqlAsync(string tenant, string sql) =>
        await fixture.Database.ScalarAsync(sql.Replace("{tenant}", $"(SELECT id FROM tenants WHERE name = '{tenant}')", StringComparison.Ordinal)) is long value ? value : 0;

    protected override string BlobLiteral(string hex) => $"'\\x{hex}'::bytea";

    protected override Task<long> TextBlocksHoldingAsync(string tenant, int trigram) =>
        SqlAsync(tenant, $"SELECT count(*) FROM text_blocks WHERE tenant_id = {{tenant}} AND trigrams @> ARRAY[{trigram}]");

    protected override Task<long> IndexTextBacklogAsync(IWitnessStore store) => ((PostgresStore)store).IndexTextBacklogAsync(CancellationToken.None);
    protected override Task<object?> ScalarAsync(string sql) => fixture.Database.ScalarAsync(sql);
}
