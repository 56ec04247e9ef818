using Witness.Search;
using Witness.Storage;

namespace Witness.Stats;

/// <summary>
/// Answers <see cref="EventStats"/> for a filter: settles the range (the filter's, else from the
/// tenant's oldest event to now or its newest), picks the bar width, has the store count UTC slots
/// and lays them into the zone's bars. Used by the API, the console and the PDF report alike.
/// </summary>
public sealed class EventStatsService(IWitnessStore store, TimeProvider clock)
{
    public const int DefaultTop = 10;
    public const int MaxTop = 100;

    /// <summary>Whether the store can count (every store Witness ships can).</summary>
    public bool Available => store is IEventStatsStore;

    /// <exception cref="ArgumentException">The bars would be more than <see cref="ActivityBuckets.MaxBuckets"/>; the message says so.</exception>
    /// <exception cref="NotSupportedException">The store cannot count.</exception>
    public async Task<EventStats> CountAsync(string tenant, EventFilter filter, TimeZoneInfo zone, StatsBucket? bucket, int top, CancellationToken ct)
    {
        var counter = store as IEventStatsStore ?? throw new NotSupportedException($"the {store.Kind} store cannot count events");
        var (from, to) = await RangeAsync(tenant, filter, ct);
        var width = bucket ?? ActivityBuckets.Choose(from, to);
        var cover = ActivityBuckets.Cover(from, to, zone, width);
        var counts = await counter.CountAsync(tenant, filter with { From = from, To = to }, ActivityBuckets.SlotSeconds(width), top, ct);

        var events = new long[cover.Count];
        var failures = new long[cover.Count];
        var index = 0;
        foreach (var slot in counts.Slots.OrderBy(s => s.Start))
        {
            while (index < cover.Count - 1 && slot.Start >= cover[index].End)
            {
                index++;
            }

            events[index] += slot.Events;
            failures[index] += slot.Failures;
        }

        var bars = cover.Select((c, i) => new ActivityBar(c.Start, c.End, events[i], failures[i])).ToList();
        var types = Sum(counts.TypesAndActions.Select(t => new KeyCount(t.Type, t.Events, t.Failures)));
        var actions = Sum(counts.TypesAndActions.Select(t => new KeyCount(t.Action, t.Events, t.Failures)));
        var failed = actions.Where(a => a.Failures > 0).OrderByDescending(a => a.Failures).ThenBy(a => a.Value, StringComparer.Ordinal).Take(top).ToList();
        return new EventStats(from, to, width, zone, bars, types, [.. actions.Take(top)], failed, counts.Actors, counts.Ips);
    }

    private async Task<(DateTimeOffset From, DateTimeOffset To)> RangeAsync(string tenant, EventFilter filter, CancellationToken ct)
    {
        if (filter is { From: { } from, To: { } to })
        {
            return (from, to);
        }

        var now = clock.GetUtcNow();
        var span = store is IEventTimeRange range ? await range.GetTimeRangeAsync(tenant, ct) : null;
        // Events may be dated up to a day ahead; the range ends after the newest so that it counts.
        var end = filter.To ?? (span is { } s && s.Newest >= now ? s.Newest.AddTicks(10) : now);
        var start = filter.From ?? (span is { } t && t.Oldest < end ? t.Oldest : end.AddDays(-1));
        return (start, end);
    }

    private static List<KeyCount> Sum(IEnumerable<KeyCount> counts) =>
    [
        .. counts.GroupBy(c => c.Value, StringComparer.Ordinal)
            .Select(g => new KeyCount(g.Key, g.Sum(c => c.Events), g.Sum(c => c.Failures)))
            .OrderByDescending(c => c.Events).ThenBy(c => c.Value, StringComparer.Ordinal),
    ];
}
