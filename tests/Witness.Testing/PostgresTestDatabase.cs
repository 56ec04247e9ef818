using Npgsql;

namespace Witness.Testing;

/// <summary>
/// A fresh, empty database on the test PostgreSQL server (env <c>WITNESS_TEST_POSTGRES</c>, set by
/// <c>scripts/test</c>), dropped when disposed. Without that variable it throws a message saying how
/// to run the tests, so a PostgreSQL test fails loudly instead of being skipped.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string Variable = "WITNESS_TEST_POSTGRES";

    private readonly string _serverConnectionString;

    private PostgresTestDatabase(string serverConnectionString, string name)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The Npgsql connection string of the new database, as the server's superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>The connection string of the test server, or an exception that says how to get one.</summary>
    public static string ServerConnectionString() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set, so there is no PostgreSQL to test against. Run the tests with `bash scripts/test` " +
                "(it installs PostgreSQL when missing, starts a throwaway cluster and sets the variable), e.g. " +
                "`bash scripts/test --filter \"FullyQualifiedName~Postgres\"`.");

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var server = ServerConnectionString();
        var database = new PostgresTestDatabase(server, $"witness_{Guid.NewGuid():N}");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database.Name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return database;
    }

    /// <summary>Runs SQL as the superuser in this database and returns the first value (null for SQL NULL).</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var mine = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(mine);
        }

        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
