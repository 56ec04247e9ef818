using Npgsql;
using Witness.Storage.Postgres;
using Witness.Storage.Tests.Conformance;

namespace Witness.Storage.Tests.Postgres;

/// <summary>The settings every session of the store starts with, read back from a real server.</summary>
public sealed class PostgresSessionTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task The_store_s_sessions_run_without_jit_compilation()
    {
        Assert.Equal("off", await ShowAsync(PostgresStore.SessionConnectionString(fixture.Database.ConnectionString, null), "jit"));
    }

    [Fact]
    public async Task An_operator_s_own_jit_setting_wins()
    {
        var own = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Options = "-c jit=on" }.ConnectionString;

        Assert.Equal("on", await ShowAsync(PostgresStore.SessionConnectionString(own, null), "jit"));
    }

    [Fact]
    public async Task A_role_and_the_jit_setting_are_both_set_at_session_start()
    {
        var sessions = PostgresStore.SessionConnectionString(fixture.Database.ConnectionString, "pg_monitor");

        Assert.Equal("off", await ShowAsync(sessions, "jit"));
        Assert.Equal("pg_monitor", await ShowAsync(sessions, "role"));
    }

    private static async Task<string> ShowAsync(string connectionString, string setting)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
