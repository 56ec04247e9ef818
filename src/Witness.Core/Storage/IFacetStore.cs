namespace Witness.Storage;

/// <summary>
/// The values filter menus offer for a tenant (the console's menus, <c>GET /v1/actions/facets</c>).
/// Bounded work whatever the log's size: distinct actions and actor emails are read by skipping
/// through their indexes (one seek per value), categories and types from each action's newest and
/// oldest event and from the most recent events. So a category or type that only events in the
/// middle of an action's history carry may be missing; every action and email is listed.
/// </summary>
public interface IFacetStore
{
    Task<EventFacets> ListFacetsAsync(string tenant, CancellationToken ct);
}

/// <summary>Distinct values present in a tenant's log, each list sorted ordinally and at most <see cref="MaxValues"/> long.</summary>
public sealed record EventFacets(IReadOnlyList<string> Actions, IReadOnlyList<string> Categories, IReadOnlyList<string> Types, IReadOnlyList<string> ActorEmails)
{
    public const int MaxValues = 500;

    /// <summary>How many of the newest events categories are also read from.</summary>
    public const int RecentEventsForCategories = 5000;

    public static EventFacets Empty { get; } = new([], [], [], []);
}
