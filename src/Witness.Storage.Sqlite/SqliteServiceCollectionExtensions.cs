using Witness.Storage;
using Witness.Storage.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store in a service collection, as <c>AddNpgsqlDataSource</c> registers a data source.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="SqliteStore"/> as <see cref="IWitnessStore"/> and as every optional store
    /// interface it implements (catalog, users, alerts, webhooks, retention, …), all the same
    /// instance. The container owns it: disposing the container closes the store, once it has been
    /// resolved as <see cref="IWitnessStore"/>. Nothing is opened here; the host calls
    /// <see cref="IWitnessStore.InitializeAsync"/> (migrations, durability checks) before using it.
    /// </summary>
    public static IServiceCollection AddWitnessSqlite(this IServiceCollection services, SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddStoreInstance(new SqliteStore(options));
    }
}
