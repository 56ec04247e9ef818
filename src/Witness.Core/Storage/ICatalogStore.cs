using Witness.Catalog;

namespace Witness.Storage;

/// <summary>
/// Where the action catalog outlives a process and is shared by every instance on the same
/// database: the entries set through the API, a catalog file or a preset (never the built-in
/// actions, which every process knows). A <c>null</c> tenant means the global layer. Also answers
/// which categories, log types and actions a tenant's events hold, for the console's filter menus.
/// All methods are safe to call concurrently.
/// </summary>
public interface ICatalogStore
{
    /// <summary>Every stored entry of every layer, global entries first, then by tenant and action.</summary>
    Task<IReadOnlyList<StoredCatalogEntry>> ListCatalogAsync(CancellationToken ct);

    /// <summary>
    /// Adds or replaces entries of one layer in one transaction: all are written or none. The caller
    /// has validated them (<see cref="ActionDefinition.Validate"/>); the store keeps what it is given.
    /// </summary>
    Task UpsertCatalogAsync(string? tenant, IReadOnlyList<ActionDefinition> definitions, DateTimeOffset updatedAt, CancellationToken ct);

    /// <summary>Removes one entry of one layer (never events); returns whether there was one.</summary>
    Task<bool> DeleteCatalogEntryAsync(string? tenant, string action, CancellationToken ct);

    /// <summary>
    /// The distinct categories, log types and actions of the tenant's stored events, each sorted
    /// ordinally; empty lists for a tenant without events. Cost: actions are found by seeking the
    /// (tenant, action) index once per distinct action, so they cost O(distinct actions × log n);
    /// categories and types are read from the covering time index without touching event rows, so
    /// they cost one pass over the tenant's index entries (no table reads, no sort of events).
    /// </summary>
    Task<EventFacets> ListFacetsAsync(string tenant, CancellationToken ct);
}

/// <summary>A catalog entry as stored: its layer (<see cref="Tenant"/> null = global), the entry, and when it was last written.</summary>
public sealed record StoredCatalogEntry(string? Tenant, ActionDefinition Definition, DateTimeOffset UpdatedAt);

/// <summary>What a tenant's stored events hold, for filter menus: distinct values, each list sorted ordinally.</summary>
public sealed record EventFacets(IReadOnlyList<string> Categories, IReadOnlyList<string> Types, IReadOnlyList<string> Actions)
{
    public static EventFacets Empty { get; } = new([], [], []);
}
