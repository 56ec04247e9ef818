using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// The pre-aggregated counts a store keeps beside its events for <see cref="IEventStatsStore"/>: one
/// row per tenant, UTC quarter hour of <c>occurred_at</c> (a <em>slot</em>), type, action, outcome and
/// category, holding how many of the tenant's events have those values. Appends add to them in the
/// same transaction, retention purges and tenant deletion take away, so a count read from them is a
/// count of the stored events. Type and category are part of the key because they are stored per
/// event and one action may carry another type or category after a catalog change. A quarter hour,
/// not an hour, because every zone's offset is a whole number of quarter hours (+05:45, +10:30), so
/// every bar of <see cref="Stats.ActivityBuckets"/> except minute bars is a whole number of slots.
/// </summary>
public static class EventCountSlots
{
    /// <summary>The length of one slot.</summary>
    public const int SlotSeconds = 900;

    private const long SlotMicros = SlotSeconds * 1_000_000L;

    /// <summary>The slot that holds a time given in microseconds since 1970 (rounded down, also before 1970).</summary>
    public static long Of(long micros) => (micros / SlotMicros) - (micros % SlotMicros < 0 ? 1 : 0);

    /// <summary>The first microsecond of a slot.</summary>
    public static long StartMicros(long slot) => slot * SlotMicros;

    /// <summary>
    /// Whether the counts can answer a filter counted in slots of <paramref name="slotSeconds"/>: the
    /// slots are whole quarter hours, and every term (groups included) tests only action, type, outcome
    /// or category. Actor, target, IP and free text are not kept, so such filters scan the events.
    /// </summary>
    public static bool Serve(EventFilter filter, int slotSeconds) =>
        slotSeconds % SlotSeconds == 0 && filter.Terms.All(Kept);

    /// <summary>
    /// The whole slots [<c>First</c>, <c>End</c>) inside [<paramref name="from"/>, <paramref name="to"/>), or
    /// null when there is none; the parts of the range before and after them are not whole slots.
    /// </summary>
    public static (long First, long End)? WholeSlots(DateTimeOffset from, DateTimeOffset to)
    {
        var fromMicros = EventIndexKeys.Micros(from);
        var first = Of(fromMicros) + (StartMicros(Of(fromMicros)) == fromMicros ? 0 : 1);
        var end = Of(EventIndexKeys.Micros(to));
        return first < end ? (first, end) : null;
    }

    private static bool Kept(FilterTerm term) => term.Field switch
    {
        FilterField.Action or FilterField.Type or FilterField.Outcome or FilterField.Category => true,
        FilterField.Any => term.Alternatives.All(terms => terms.All(Kept)),
        _ => false,
    };
}

/// <summary>The key of one row of the counts; <see cref="Category"/> is empty for events without one.</summary>
public readonly record struct EventCountKey(long TenantId, long Slot, string Type, string Action, string Outcome, string Category)
{
    public static EventCountKey Of(long tenantId, EventIndexKeys keys) =>
        new(tenantId, EventCountSlots.Of(keys.OccurredAtMicros), keys.Type, keys.Action, keys.Outcome, keys.Category ?? "");
}

/// <summary>
/// The counts one append transaction adds, request by request: a request rolled back to its savepoint
/// takes its counts back with <see cref="ForgetRequest"/>. Not thread-safe; one per transaction.
/// </summary>
public sealed class EventCountTally
{
    private readonly Dictionary<EventCountKey, long> _kept = [];
    private readonly Dictionary<EventCountKey, long> _request = [];

    public void Add(long tenantId, EventIndexKeys keys)
    {
        var key = EventCountKey.Of(tenantId, keys);
        _request[key] = _request.GetValueOrDefault(key) + 1;
    }

    /// <summary>A request starts: the one before it (if not forgotten) is kept.</summary>
    public void BeginRequest() => Keep();

    /// <summary>The current request was rolled back: its counts are dropped.</summary>
    public void ForgetRequest() => _request.Clear();

    /// <summary>Everything kept, the current request included; the tally is empty afterwards.</summary>
    public IReadOnlyList<KeyValuePair<EventCountKey, long>> Take()
    {
        Keep();
        var counts = _kept.ToList();
        _kept.Clear();
        return counts;
    }

    private void Keep()
    {
        foreach (var (key, count) in _request)
        {
            _kept[key] = _kept.GetValueOrDefault(key) + count;
        }

        _request.Clear();
    }
}
