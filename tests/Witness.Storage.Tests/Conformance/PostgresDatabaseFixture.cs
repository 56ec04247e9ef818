namespace Witness.Storage.Tests.Conformance;

/// <summary>A fresh database per test class on the server of <c>WITNESS_TEST_POSTGRES</c>; every test of the class fails with a how-to when it is not set.</summary>
public sealed class PostgresDatabaseFixture : IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    public PostgresTestDatabase Database => _database ?? throw new InvalidOperationException("the database was not created");

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
