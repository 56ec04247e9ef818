using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// The store-neutral half of <see cref="IEventStatsStore.CountAsync"/>: which part of the range the
/// pre-aggregated counts serve and which parts are scanned, and the tally of slots and of types and
/// actions both paths add to. A store supplies the reads (its SQL); this adds them up the same way on
/// every store.
/// </summary>
public sealed class EventCountsBuilder(int slotSeconds)
{
    private readonly long _slotMicros = slotSeconds * 1_000_000L;
    private readonly Dictionary<long, (long Events, long Failures)> _slots = [];
    private readonly Dictionary<(string Type, string Action), (long Events, long Failures)> _typesAndActions = [];
    private bool _aggregated;
    private int _ipDays;

    /// <summary>The length of a slot in microseconds.</summary>
    public long SlotMicros => _slotMicros;

    /// <summary>Adds counts to the slot that holds <paramref name="startMicros"/>.</summary>
    public void AddSlot(long startMicros, long events, long failures)
    {
        var start = Math.DivRem(startMicros, _slotMicros, out var rest) * _slotMicros - (rest < 0 ? _slotMicros : 0);
        var (e, f) = _slots.GetValueOrDefault(start);
        _slots[start] = (e + events, f + failures);
    }

    public void AddTypeAndAction(string type, string action, long events, long failures)
    {
        if (events == 0)
        {
            return;
        }


        var (e, f) = _typesAndActions.GetValueOrDefault((type, action));
        _typesAndActions[(type, action)] = (e + events, f + failures);
    }

    /// <summary>
    /// Adds the counts of one group of a read grouped by slot, type and action (one read feeds both
    /// tallies, so the rows are read once): to the slot that holds <paramref name="startMicros"/> and to the type and action.
    /// </summary>
    public void AddSlotTypeAndAction(long startMicros, string type, string action, long events, long failures)
    {
        AddSlot(startMicros, events, failures);
        AddTypeAndAction(type, action, events, failures);
    }

    /// <summary>
    /// Counts the range [<paramref name="from"/>, <paramref name="to"/>): the whole quarter hours from
    /// the pre-aggregated counts through <paramref name="readAggregate"/> when the filter only tests
    /// what they hold (<see cref="EventCountSlots.Serve"/>) and <paramref name="scan"/> for the cut
    /// quarter hours at either end; otherwise <paramref name="scan"/> of the whole filter.
    /// </summary>
    public async Task CountAsync(EventFilter filter, DateTimeOffset from, DateTimeOffset to, Func<(long First, long End), Task> readAggregate, Func<EventFilter, Task> scan)
    {
        var whole = EventCountSlots.Serve(filter, (int)(_slotMicros / 1_000_000)) ? EventCountSlots.WholeSlots(from, to) : null;
        if (whole is not { } w)
        {
            await scan(filter);
            return;
        }

        _aggregated = true;
        await readAggregate(w);
        var firstWhole = EventIndexKeys.FromMicros(EventCountSlots.StartMicros(w.First));
        var endWhole = EventIndexKeys.FromMicros(EventCountSlots.StartMicros(w.End));
        if (from < firstWhole)
        {
            await scan(filter with { To = firstWhole });
        }

        if (endWhole < to)
        {
            await scan(filter with { From = endWhole });
        }
    }

    /// <summary>
    /// Counts the range of a filter the counts by IP serve (<see cref="IpSlotCounts.Serve"/>): the closed days
    /// <paramref name="days"/> (ascending, those the store can read) through <paramref name="readDays"/>, and the rest of the
    /// range through <paramref name="scan"/>, one filter per stretch between them.
    /// </summary>
    public async Task CountByIpDaysAsync(EventFilter filter, IReadOnlyList<long> days, Func<IReadOnlyList<long>, Task> readDays, Func<EventFilter, Task> scan)
    {
        ArgumentNullException.ThrowIfNull(days);
        ArgumentNullException.ThrowIfNull(readDays);
        ArgumentNullException.ThrowIfNull(scan);
        if (days.Count > 0)
        {
            await readDays(days);
            _ipDays = days.Count;
        }

        foreach (var part in KeyDayCounts.Rest(filter, days))
        {
            await scan(part);
        }
    }

    public EventCounts Build(IReadOnlyList<KeyCount> actors, IReadOnlyList<KeyCount> ips) =>
        new(
            [.. _slots.OrderBy(s => s.Key).Select(s => new SlotCount(EventIndexKeys.FromMicros(s.Key), s.Value.Events, s.Value.Failures))],
            [.. _typesAndActions.Select(t => new TypeActionCount(t.Key.Type, t.Key.Action, t.Value.Events, t.Value.Failures))],
            actors,
            ips) { Aggregated = _aggregated, IpDays = _ipDays };
}
