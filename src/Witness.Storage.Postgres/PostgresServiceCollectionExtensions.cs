using Witness.Storage;
using Witness.Storage.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL store in a service collection, as <c>AddNpgsqlDataSource</c> registers a data source.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="PostgresStore"/> as <see cref="IWitnessStore"/> and as every optional store
    /// interface it implements (catalog, users, alerts, webhooks, retention, …), all the same
    /// instance. The container owns it: disposing the container closes the store, once it has been
    /// resolved as <see cref="IWitnessStore"/>. Nothing is opened here; the host calls
    /// <see cref="IWitnessStore.InitializeAsync"/> (migrations, durability checks) before using it.
    /// Several instances may share the database (<see cref="ISharedLogStore"/>).
    /// </summary>
    public static IServiceCollection AddWitnessPostgres(this IServiceCollection services, PostgresStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddStoreInstance(new PostgresStore(options));
    }
}
