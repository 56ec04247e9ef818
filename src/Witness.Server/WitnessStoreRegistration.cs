using Microsoft.Extensions.DependencyInjection;
using Witness.Storage.Postgres;
using Witness.Storage.Sqlite;

namespace Witness.Server;

/// <summary>The one choice of store, made the same way by <c>serve</c> and by every CLI command that works on the store.</summary>
internal static class WitnessStoreRegistration
{
    /// <summary>
    /// Registers PostgreSQL (<see cref="PostgresServiceCollectionExtensions.AddWitnessPostgres"/>) when
    /// <paramref name="postgresConnectionString"/> is given, else SQLite in <paramref name="dataDirectory"/>
    /// (<see cref="SqliteServiceCollectionExtensions.AddWitnessSqlite"/>). Throws
    /// <see cref="InvalidOperationException"/> when the connection string is not valid.
    /// With <paramref name="keyDaysFilledBehind"/>, the store's counts leave the top lists' day counts to the server's fill loop.
    /// </summary>
    public static IServiceCollection AddWitnessStore(
        this IServiceCollection services, string dataDirectory, string? postgresConnectionString, TimeProvider clock, bool keyDaysFilledBehind = false) =>
        postgresConnectionString is not null
            ? services.AddWitnessPostgres(new PostgresStoreOptions { ConnectionString = postgresConnectionString, Clock = clock, FillKeyDaysOnCount = !keyDaysFilledBehind })
            : services.AddWitnessSqlite(new SqliteStoreOptions { DatabasePath = SqliteStoreOptions.InFolder(dataDirectory).DatabasePath, Clock = clock, FillKeyDaysOnCount = !keyDaysFilledBehind });
}
