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
    /// </summary>
    public static IServiceCollection AddWitnessStore(this IServiceCollection services, string dataDirectory, string? postgresConnectionString, TimeProvider clock) =>
        postgresConnectionString is not null
            ? services.AddWitnessPostgres(new PostgresStoreOptions { ConnectionString = postgresConnectionString, Clock = clock })
            : services.AddWitnessSqlite(SqliteStoreOptions.InFolder(dataDirectory, clock));
}
