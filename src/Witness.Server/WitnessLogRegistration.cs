using Microsoft.Extensions.DependencyInjection;
using Witness.Catalog;
using Witness.Ingest;
using Witness.Server.Auditing;
using Witness.Server.Catalog;
using Witness.Server.Ingest;
using Witness.Storage;

namespace Witness.Server;

/// <summary>
/// What every entry point that writes to a log registers, the same way: <c>serve</c>
/// (<see cref="WitnessServer.BuildAsync"/>) and each <c>witness</c> command that works on the store.
/// </summary>
internal static class WitnessLogRegistration
{
    /// <summary>
    /// Registers the store (<see cref="WitnessStoreRegistration.AddWitnessStore"/>: the container owns and
    /// closes it), <paramref name="options"/> and its clock, the ingest path
    /// (<see cref="IngestServiceCollectionExtensions.AddWitnessIngest"/>: the ingestor and the one
    /// <see cref="EventIntake"/>), the action catalog kept equal to the store (<see cref="CatalogSync"/>),
    /// the tenants' settings, and the recorders of Witness's own events (<see cref="SystemEvents"/>,
    /// <see cref="ReadAuditor"/>, <see cref="AccessChanges"/>), which all append through the intake.
    /// Throws <see cref="InvalidOperationException"/> when the connection string is not valid or the
    /// store keeps no action catalog. With <paramref name="keyDaysFilledBehind"/> (the server, which runs the fill loop),
    /// the store's counts leave the top lists' day counts to that loop.
    /// </summary>
    public static IServiceCollection AddWitnessLog(this IServiceCollection services, WitnessServerOptions options, bool keyDaysFilledBehind = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddWitnessStore(options.DataDirectory, options.PostgresConnectionString, options.Clock, keyDaysFilledBehind);
        if (!services.Any(d => d.ServiceType == typeof(ICatalogStore)))
        {
            throw new InvalidOperationException("the store does not keep an action catalog");
        }

        services.AddSingleton(options);
        services.AddSingleton(options.Clock);
        // Registered before the other hosted services, so its queue is drained after they stopped writing.
        services.AddWitnessIngest(o =>
        {
            o.MaxEventsPerCommit = options.Ingest.MaxEventsPerCommit;
            o.MaxQueuedEvents = options.Ingest.MaxQueuedEvents;
        });
        services.AddSingleton(ActionCatalog.CreateWithBuiltInActions());
        services.AddSingleton<CatalogSync>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogSync>());
        services.AddSingleton<TenantSettingsCache>();
        services.AddSingleton<ITenantSettingsSource>(sp => sp.GetRequiredService<TenantSettingsCache>());
        services.AddSingleton<SystemEvents>();
        services.AddSingleton<ReadAuditor>();
        services.AddSingleton<AccessChanges>();
        return services;
    }
}
