using System.Buffers.Binary;
using System.Text;
using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// The per-day counts a store keeps for the top lists of <see cref="IEventStatsStore"/> (migration 023):
/// per tenant, UTC day of <c>occurred_at</c>, type, and actor (id, else email) or IP address, how many
/// events and failures. Appends do not write them: a store fills a <em>closed</em> day (one that ended
/// <see cref="LateMargin"/> or more before now) when the server's loop asks (<see cref="IKeyDayCountsStore"/>), or
/// alone (<c>FillKeyDaysOnCount</c>) the first time a count needs it, and records beside it how
/// many events the day held then (<c>key_count_days</c>). A day is read from them only while the
/// pre-aggregated counts (<see cref="EventCountSlots"/>, which every append keeps) still hold that many
/// events for it, so a late event dated in a filled day makes the day scanned until it is filled again.
/// A retention purge and an erasure (which rewrites actors' emails and IPs in place without changing any
/// count) forget the filled days they touch; tenant deletion removes them. The type is kept because every
/// tab of the console filters by it; they answer only a filter whose terms test the type alone. The counts by IP
/// (<see cref="IpSlotCounts"/>) are filled, read and forgotten with them, by the same days.
/// </summary>
public static class KeyDayCounts
{
    /// <summary>The length of a day in microseconds.</summary>
    public const long DayMicros = 86_400_000_000L;

    /// <summary>Quarter-hour slots (<see cref="EventCountSlots"/>) in a day.</summary>
    public const long SlotsPerDay = DayMicros / (EventCountSlots.SlotSeconds * 1_000_000L);

    /// <summary>
    /// How long after its end a day is taken as closed: events arriving late for the day just ended are
    /// common (clients send in batches), and refilling a day on every request while they arrive costs more
    /// than scanning it. A later late event is still seen (the day's count changes), only the work is redone.
    /// </summary>
    public static readonly TimeSpan LateMargin = TimeSpan.FromHours(1);

    /// <summary>The UTC day that holds a time in microseconds since 1970 (rounded down, also before 1970).</summary>
    public static long Of(long micros) => (micros / DayMicros) - (micros % DayMicros < 0 ? 1 : 0);

    /// <summary>The first microsecond of a day.</summary>
    public static long StartMicros(long day) => day * DayMicros;

    /// <summary>Whether the day counts can answer the top lists of a filter: every term (groups included) tests only the type.</summary>
    public static bool Serve(EventFilter filter) => filter.Terms.All(Kept);

    /// <summary>
    /// The whole UTC days [<c>First</c>, <c>End</c>) inside [<paramref name="from"/>, <paramref name="to"/>) that are
    /// closed at <paramref name="now"/> (ended <see cref="LateMargin"/> or more before it), or null when there is none.
    /// </summary>
    public static (long First, long End)? ClosedDays(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var fromMicros = EventIndexKeys.Micros(from);
        var first = Of(fromMicros) + (StartMicros(Of(fromMicros)) == fromMicros ? 0 : 1);
        var end = Math.Min(Of(EventIndexKeys.Micros(to)), Of(EventIndexKeys.Micros(now - LateMargin)));
        return first < end ? (first, end) : null;
    }

    /// <summary>
    /// The days of <paramref name="days"/> whose counts can be read: filled (<paramref name="filled"/>: day → events
    /// when filled) with as many events as the pre-aggregated counts hold for the day now (<paramref name="current"/>).
    /// </summary>
    public static IReadOnlyList<long> Usable((long First, long End) days, IReadOnlyDictionary<long, long> filled, IReadOnlyDictionary<long, long> current)
    {
        var usable = new List<long>();
        for (var day = days.First; day < days.End; day++)
        {
            if (filled.TryGetValue(day, out var events) && events == current.GetValueOrDefault(day))
            {
                usable.Add(day);
            }
        }

        return usable;
    }

    /// <summary>The days of <paramref name="days"/> worth filling: not usable and holding events.</summary>
    public static IReadOnlyList<long> ToFill((long First, long End) days, IReadOnlyDictionary<long, long> filled, IReadOnlyDictionary<long, long> current)
    {
        var usable = Usable(days, filled, current).ToHashSet();
        var fill = new List<long>();
        for (var day = days.First; day < days.End; day++)
        {
            if (!usable.Contains(day) && current.GetValueOrDefault(day) > 0)
            {
                fill.Add(day);
            }
        }

        return fill;
    }

    /// <summary>Consecutive days as ranges [<c>First</c>, <c>End</c>), in order.</summary>
    public static IEnumerable<(long First, long End)> Runs(IReadOnlyList<long> days)
    {
        var i = 0;
        while (i < days.Count)
        {
            var first = days[i];
            while (i + 1 < days.Count && days[i + 1] == days[i] + 1)
            {
                i++;
            }

            yield return (first, days[i] + 1);
            i++;
        }
    }

    /// <summary>The parts of the filter's range outside the days <paramref name="counted"/> (ascending), to be scanned.</summary>
    public static IEnumerable<EventFilter> Rest(EventFilter filter, IReadOnlyList<long> counted)
    {
        var start = filter.From!.Value;
        foreach (var (first, end) in Runs(counted))
        {
            var runStart = EventIndexKeys.FromMicros(StartMicros(first));
            if (start < runStart)
            {
                yield return filter with { From = start, To = runStart };
            }

            start = EventIndexKeys.FromMicros(StartMicros(end));
        }

        if (start < filter.To!.Value)
        {
            yield return filter with { From = start };
        }
    }

    /// <summary>A filter's range cut at UTC midnights: one filter per day it touches, in order.</summary>
    public static IEnumerable<EventFilter> ByDay(EventFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (start, to) = (filter.From!.Value, filter.To!.Value);
        while (start < to)
        {
            var end = EventIndexKeys.FromMicros(StartMicros(Of(EventIndexKeys.Micros(start)) + 1));
            yield return filter with { From = start, To = end < to ? end : to };
            start = end;
        }
    }

    /// <summary>The UTC day that holds a quarter-hour slot (<see cref="EventCountSlots"/>).</summary>
    public static long OfSlot(long slot) => (slot / SlotsPerDay) - (slot % SlotsPerDay < 0 ? 1 : 0);

    /// <summary>Adds up per day the events of pre-aggregated counts read per slot.</summary>
    public static void AddSlot(Dictionary<long, long> days, long slot, long events)
    {
        var day = OfSlot(slot);
        days[day] = days.GetValueOrDefault(day) + events;
    }

    private static bool Kept(FilterTerm term) => term.Field switch
    {
        FilterField.Type => true,
        FilterField.Any => term.Alternatives.All(terms => terms.All(Kept)),
        _ => false,
    };
}

/// <summary>
/// The top actors and IPs of a range added up from the day counts and from scans of the rest of the
/// range, ordered as a scan orders them: most events first, then by value (UTF-8 bytes, IP key bytes).
/// </summary>
public sealed class TopKeysBuilder
{
    private readonly Dictionary<string, (long Events, long Failures)> _actors = new(StringComparer.Ordinal);
    private readonly Dictionary<UInt128, (long Events, long Failures)> _ips = [];

    public void AddActor(string actor, long events, long failures)
    {
        var (e, f) = _actors.GetValueOrDefault(actor);
        _actors[actor] = (e + events, f + failures);
    }

    public void AddIp(byte[] key, long events, long failures)
    {
        var ip = BinaryPrimitives.ReadUInt128BigEndian(key);
        var (e, f) = _ips.GetValueOrDefault(ip);
        _ips[ip] = (e + events, f + failures);
    }

    public IReadOnlyList<KeyCount> TopActors(int top) =>
    [
        .. _actors.Where(a => a.Value.Events > 0)
            .OrderByDescending(a => a.Value.Events).ThenBy(a => Encoding.UTF8.GetBytes(a.Key), Utf8Order.Instance)
            .Take(top).Select(a => new KeyCount(a.Key, a.Value.Events, a.Value.Failures)),
    ];

    public IReadOnlyList<KeyCount> TopIps(int top) =>
    [
        .. _ips.Where(i => i.Value.Events > 0)
            .OrderByDescending(i => i.Value.Events).ThenBy(i => i.Key)
            .Take(top).Select(i => new KeyCount(IpKeyText.Of(Bytes(i.Key)), i.Value.Events, i.Value.Failures)),
    ];

    private static byte[] Bytes(UInt128 ip)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, ip);
        return bytes;
    }

    private sealed class Utf8Order : IComparer<byte[]>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
