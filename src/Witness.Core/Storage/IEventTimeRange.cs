namespace Witness.Storage;

/// <summary>
/// The span of a tenant's events by <c>occurred_at</c>, so an unfiltered export can be named after
/// the days it covers before its first byte is sent. Implemented by stores next to <see cref="IWitnessStore"/>.
/// </summary>
public interface IEventTimeRange
{
    /// <summary>The oldest and newest <c>occurred_at</c> of the tenant's events, or null when it has none.</summary>
    Task<(DateTimeOffset Oldest, DateTimeOffset Newest)?> GetTimeRangeAsync(string tenant, CancellationToken ct);
}
