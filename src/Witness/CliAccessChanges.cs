using Witness.Catalog;
using Witness.Events;
using Witness.Ingest;
using Witness.Server.Auditing;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// The <see cref="AccessChanges"/> of a <c>witness keys|users</c> command run on the store directly:
/// changes are recorded through an ingestor of its own, with the store's catalog, as the server would,
/// and the actor is the CLI and the operating-system user running it.
/// </summary>
internal sealed class CliAccessChanges : IAsyncDisposable
{
    private readonly EventIngestor _ingestor;

    private CliAccessChanges(IWitnessStore store, ActionCatalog catalog)
    {
        _ingestor = new EventIngestor(store, TimeProvider.System);
        var intake = new EventIntake(_ingestor, catalog, new TenantSettingsCache(store, TimeProvider.System), TimeProvider.System);
        Changes = new AccessChanges(store, new SystemEvents(intake));
    }

    public AccessChanges Changes { get; }

    public static async Task<CliAccessChanges> OpenAsync(IWitnessStore store, CancellationToken ct) => new(store, await LoadCatalogAsync(store, ct));

    /// <summary>The actor recorded for <paramref name="command"/> (say, <c>keys revoke</c>).</summary>
    public static EventActor Actor(string command) =>
        new() { Type = ActorTypes.Service, Id = "witness-cli", Name = $"witness {command} ({Environment.UserName})" };

    /// <summary>The catalog a server on <paramref name="store"/> uses: the built-in actions plus every stored entry.</summary>
    public static async Task<ActionCatalog> LoadCatalogAsync(IWitnessStore store, CancellationToken ct)
    {
        var catalog = new ActionCatalog();
        if (store is ICatalogStore stored)
        {
            await catalog.LoadAsync(stored, ct);
        }
        else
        {
            catalog.SetRange(null, BuiltInActions.All);
        }

        return catalog;
    }

    public ValueTask DisposeAsync() => _ingestor.DisposeAsync();
}
