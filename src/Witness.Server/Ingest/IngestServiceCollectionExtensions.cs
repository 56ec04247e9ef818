using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Witness.Ingest;
using Witness.Storage;

namespace Witness.Server.Ingest;

/// <summary>Registers the group-commit ingestor of the store in the container.</summary>
internal static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="EventIngestor"/> over the registered <see cref="IWitnessStore"/>, its
    /// <see cref="IngestOptions"/> (validated when the host starts, and when the ingestor is first
    /// resolved: a value out of range throws <see cref="OptionsValidationException"/> naming the
    /// option), and a hosted service that drains the queue when the host stops, after the
    /// services registered later (so every acknowledged request is committed before the store closes);
    /// and the <see cref="EventIntake"/> in front of it, which needs an <see cref="Witness.Catalog.ActionCatalog"/>
    /// and an <see cref="ITenantSettingsSource"/> registered beside.
    /// </summary>
    public static IServiceCollection AddWitnessIngest(this IServiceCollection services, Action<IngestOptions> configure)
    {
        services.AddOptions<IngestOptions>().Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddSingleton(sp => new EventIngestor(sp.GetRequiredService<IWitnessStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<IngestOptions>>().Value));
        services.AddSingleton<EventIntake>();
        services.AddHostedService<EventIngestorService>();
        return services;
    }

    /// <summary>Runs the ingestor with the host: on stop, waits until every queued request is committed or failed.</summary>
    private sealed class EventIngestorService(EventIngestor ingestor) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => ingestor.DisposeAsync().AsTask();
    }
}
