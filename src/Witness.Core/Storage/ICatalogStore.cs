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
    /// A number that changes whenever an entry is written or removed (by any instance), so a reader
    /// can skip re-reading an unchanged catalog. Read it before <see cref="ListCatalogAsync"/>: a
    /// change after the read then shows as a new number next time.
    /// </summary>
    Task<long> CatalogVersionAsync(CancellationToken ct);

    /// <summary>
    /// Adds or replaces entries of one layer in one transaction: all are written or none. The caller
    /// has validated them (<see cref="ActionDefinition.Validate"/>); the store keeps what it is given.
    /// </summary>
    Task UpsertCatalogAsync(string? tenant, IReadOnlyList<ActionDefinition> definitions, DateTimeOffset updatedAt, CancellationToken ct);

    /// <summary>Removes one entry of one layer (never events); returns whether there was one.</summary>
    Task<bool> DeleteCatalogEntryAsync(string? tenant, string action, CancellationToken ct);

    /// <summary>
    /// What the tenant's stored events hold, for the console's filter menus: every distinct action,
    /// and the categories and log types of each action's newest and oldest event; each list sorted
    /// ordinally, all empty for a tenant without events. Cost: O(distinct actions × log n) index
    /// seeks on (tenant, action), never a pass over the events (at 1M events: under a millisecond,
    /// against most of a second for an exact distinct over every row). So a category or type that
    /// only events in the middle of an action's history carry is not listed; an action whose events
    /// changed category once (a renamed category) lists both.
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
