using Witness.Storage.Postgres;

namespace Witness.Storage.Tests.Conformance;

/// <summary>The conformance suite on PostgreSQL: a fresh database for the class on the test server.</summary>
public sealed class PostgresStoreConformanceTests(PostgresDatabaseFixture fixture) : StoreConformanceTests, IClassFixture<PostgresDatabaseFixture>
{
    protected override async Task<IWitnessStore> OpenStoreAsync()
    {
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = fixture.Database.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override Task<object?> ScalarAsync(string sql) => fixture.Database.ScalarAsync(sql);
}
