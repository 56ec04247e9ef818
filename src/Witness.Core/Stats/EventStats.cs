using Witness.Storage;

namespace Witness.Stats;

/// <summary>
/// The activity of a tenant's events matching a filter over [<see cref="From"/>, <see cref="To"/>):
/// bars in the tenant's zone and the summaries. Every count is a count of the events a search with
/// the same filter lists; <see cref="Events"/> is the sum of the bars.
/// </summary>
public sealed record EventStats(
    DateTimeOffset From,
    DateTimeOffset To,
    StatsBucket Bucket,
    TimeZoneInfo Zone,
    IReadOnlyList<ActivityBar> Bars,
    IReadOnlyList<KeyCount> Types,
    IReadOnlyList<KeyCount> Actions,
    IReadOnlyList<KeyCount> FailedActions,
    IReadOnlyList<KeyCount> Actors,
    IReadOnlyList<KeyCount> Ips)
{
    public long Events => Bars.Sum(b => b.Events);

    public long Failures => Bars.Sum(b => b.Failures);
}

/// <summary>One bar: its start and end (cut to the range) and the events and failures in it.</summary>
public sealed record ActivityBar(DateTimeOffset Start, DateTimeOffset End, long Events, long Failures);
