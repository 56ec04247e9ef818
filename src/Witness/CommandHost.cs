using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Witness.Events;
using Witness.Ingest;
using Witness.Server;
using Witness.Server.Auditing;
using Witness.Server.Catalog;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// The host a <c>witness</c> command works in, built the way <c>serve</c> builds its own: the same
/// registrations (<see cref="WitnessLogRegistration.AddWitnessLog"/>: the store, the ingest path, the
/// catalog as the store holds it), so a command records its events through the one
/// <see cref="EventIntake"/> with the tenant's catalog, as the API would. The host's container owns the
/// store: disposing the host drains the ingestor, then closes the store.
/// </summary>
internal sealed class CommandHost : IAsyncDisposable
{
    /// <summary>The environment variable holding a PostgreSQL connection string, the default of <c>--postgres</c>.</summary>
    public const string PostgresVariable = "WITNESS_POSTGRES";

    private readonly IHost _host;

    private CommandHost(IHost host)
    {
        _host = host;
    }

    /// <summary>The store, opened (migrations applied, durability checked).</summary>
    public IWitnessStore Store => _host.Services.GetRequiredService<IWitnessStore>();

    /// <summary>The one way events enter a log.</summary>
    public EventIntake Intake => _host.Services.GetRequiredService<EventIntake>();

    /// <summary>Records changes to API keys and console users in the log they concern.</summary>
    public AccessChanges AccessChanges => _host.Services.GetRequiredService<AccessChanges>();

    /// <summary>Records exports in the tenant's log.</summary>
    public ReadAuditor ReadAuditor => _host.Services.GetRequiredService<ReadAuditor>();

    /// <summary>The actor recorded for <paramref name="command"/> (say, <c>keys revoke</c>): the CLI and the operating-system user running it.</summary>
    public static EventActor Actor(string command) =>
        new() { Type = ActorTypes.Service, Id = "witness-cli", Name = $"witness {command} ({Environment.UserName})" };

    /// <summary>
    /// Opens PostgreSQL when <paramref name="postgresConnectionString"/> is given, else SQLite in
    /// <paramref name="dataDirectory"/>, and loads the catalog the store holds. Throws
    /// <see cref="InvalidOperationException"/> with a readable message when the store cannot be opened or
    /// refuses to run.
    /// </summary>
    public static async Task<CommandHost> OpenAsync(string dataDirectory, string? postgresConnectionString, CancellationToken ct)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddWitnessLog(new WitnessServerOptions { DataDirectory = dataDirectory, PostgresConnectionString = postgresConnectionString });
        // The command's own run is its lifetime: no console signals handled by the host, no start or stop messages.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        var host = builder.Build();
        try
        {
            await host.Services.GetRequiredService<IWitnessStore>().InitializeAsync(ct);
            await host.Services.GetRequiredService<CatalogSync>().ReloadAsync(ct);
            await host.StartAsync(ct);
            return new CommandHost(host);
        }
        catch
        {
            await DisposeAsync(host);
            throw;
        }
    }

    /// <summary>Stops the host (every queued event is committed) and closes the store.</summary>
    public ValueTask DisposeAsync() => DisposeAsync(_host);

    private static async ValueTask DisposeAsync(IHost host)
    {
        try
        {
            await host.StopAsync(CancellationToken.None);
        }
        finally
        {
            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
