using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Catalog;
using Witness.Server.Demo;
using Witness.Storage;

namespace Witness.Server.Catalog;

/// <summary>
/// Keeps the process's <see cref="ActionCatalog"/> equal to the built-in actions plus what the
/// <see cref="ICatalogStore"/> holds: it writes the start-time catalogs (presets, catalog files) to
/// the store, loads the store at start, writes every API change through to the store before it
/// shows in memory, and re-reads the store every <see cref="WitnessServerOptions.CatalogRefreshInterval"/>
/// so that changes made by other instances on the same database arrive.
/// </summary>
internal sealed class CatalogSync(ActionCatalog catalog, ICatalogStore store, WitnessServerOptions options, ILogger<CatalogSync> logger) : BackgroundService
{
    // Writes and reloads take turns, so a reload that read the store before a write cannot hide it afterwards.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long? _loadedVersion;

    /// <summary>
    /// Loads every preset and catalog file the options name, and the demo tenant's presets when the
    /// demo is on, then writes them to the store (a catalog file's entries replace global entries of
    /// the same action at every start) and loads the store into memory. Nothing is written unless
    /// every source loaded.
    /// </summary>
    /// <exception cref="CatalogException">A catalog file is missing or invalid; the message names the file, the entry and the field.</exception>
    public async Task LoadAtStartAsync(CatalogStartup sources, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var layers = new List<(string? Tenant, CatalogFile File)>();
        layers.AddRange(sources.Presets.Select(p => (p.Tenant, CatalogFile.LoadPreset(p.Name))));
        layers.AddRange(sources.Files.Select(path => ((string?)null, CatalogFile.Load(path))));
        var now = options.Clock.GetUtcNow();
        foreach (var (tenant, file) in layers)
        {
            await store.UpsertCatalogAsync(tenant, file.Actions, now, ct);
            logger.LogInformation("Catalog {Origin}: {Count} actions in the {Layer} layer", file.Origin, file.Actions.Count, tenant is null ? "global" : $"'{tenant}'");
        }

        await ReloadAsync(ct);
    }

    /// <summary>
    /// Re-reads the store when its catalog changed since the last read (by any instance) and replaces
    /// the in-memory catalog with the built-in actions plus every stored entry.
    /// </summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            if (await store.CatalogVersionAsync(ct) != _loadedVersion)
            {
                await LoadLockedAsync(ct);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Writes an entry to the store, then shows it in memory. Returns true when the layer had no entry for the action before.</summary>
    /// <exception cref="CatalogException">The entry is invalid; nothing is written.</exception>
    public async Task<bool> SetAsync(string? tenant, ActionDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Validate() is { Count: > 0 } errors)
        {
            throw new CatalogException(null, errors);
        }

        await _turn.WaitAsync(ct);
        try
        {
            var created = !catalog.ListLayer(tenant).Any(d => d.Action == definition.Action);
            await store.UpsertCatalogAsync(tenant, [definition], options.Clock.GetUtcNow(), ct);
            await LoadLockedAsync(ct);
            return created;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Removes a stored entry of one layer; a built-in action it replaced shows again. Returns false
    /// when the layer has no stored entry for the action (built-in actions are never removed).
    /// </summary>
    public async Task<bool> RemoveAsync(string? tenant, string action, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            if (!await store.DeleteCatalogEntryAsync(tenant, action, ct))
            {
                return false;
            }

            await LoadLockedAsync(ct);
            return true;
        }
        finally
        {
            _turn.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CatalogRefreshInterval, options.Clock, stoppingToken);
                await ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Re-reading the action catalog failed; the catalog in memory stays as it was until the next try");
            }
        }
    }

    private async Task LoadLockedAsync(CancellationToken ct)
    {
        _loadedVersion = await catalog.LoadAsync(store, ct);
    }

    public override void Dispose()
    {
        _turn.Dispose();
        base.Dispose();
    }
}
