namespace Witness.Storage;

/// <summary>
/// A store that keeps the top lists' day counts (<see cref="KeyDayCounts"/>) and fills them ahead of the counts that
/// read them: the server's fill loop calls it for every tenant, so that a count finds its closed days filled
/// instead of filling them inside the request (or, when the store leaves the fill to the loop, scanning them).
/// </summary>
public interface IKeyDayCountsStore
{
    /// <summary>
    /// Fills the tenant's closed UTC days (by the log's clock, <see cref="KeyDayCounts.ClosedDays"/>) among the last
    /// <paramref name="days"/> days that hold events and cannot be read (never filled, or changed since), newest first,
    /// each in its own short transaction, under the same guarantees as a fill on first need. Answers how many days it
    /// filled; an unknown tenant has none.
    /// </summary>
    Task<int> FillClosedDaysAsync(string tenant, int days, CancellationToken ct);
}
