namespace Witness.Storage;

/// <summary>
/// The values the console's filter menus offer for a tenant. Bounded work whatever the log's size:
/// actions and actor emails are read by skipping through their indexes, categories from the most
/// recent events.
/// </summary>
public interface IFacetStore
{
    Task<EventFacets> ListFacetsAsync(string tenant, CancellationToken ct);
}

/// <summary>Distinct values present in a tenant's log, each list sorted and at most <see cref="MaxValues"/> long.</summary>
public sealed record EventFacets(IReadOnlyList<string> Actions, IReadOnlyList<string> Categories, IReadOnlyList<string> ActorEmails)
{
    public const int MaxValues = 500;

    /// <summary>How many of the newest events categories are read from.</summary>
    public const int RecentEventsForCategories = 5000;

    public static EventFacets Empty { get; } = new([], [], []);
}
