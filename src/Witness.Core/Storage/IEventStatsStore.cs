using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// Counts of a tenant's events matching a filter, for the activity histogram and the summaries
/// (<c>GET /v1/events/stats</c>, the console, the PDF report's first page). A store answers with the
/// same filter-to-SQL mapping as <see cref="IWitnessStore.SearchAsync"/>, so a count always equals the
/// number of events a search with the same filter lists. When <see cref="EventCountSlots.Serve"/> says the
/// pre-aggregated counts can answer, the slots and the types and actions of the range's whole quarter hours
/// are read from them and only the parts of the range before and after those are scanned.
/// </summary>
public interface IEventStatsStore
{
    /// <summary>
    /// Counts the events matching <paramref name="filter"/>, whose <see cref="EventFilter.From"/> and
    /// <see cref="EventFilter.To"/> are both set: per UTC slot of <paramref name="slotSeconds"/> (slots
    /// aligned to multiples of that length since 1970), per type and action, and the
    /// <paramref name="top"/> actors (id, else email) and IP addresses with the most events.
    /// </summary>
    /// <exception cref="ArgumentException">The filter has no <c>From</c> or no <c>To</c>.</exception>
    Task<EventCounts> CountAsync(string tenant, EventFilter filter, int slotSeconds, int top, CancellationToken ct);
}

/// <summary>What <see cref="IEventStatsStore.CountAsync"/> answers; lists of keys are ordered by count, most first, then by value.</summary>
public sealed record EventCounts(
    IReadOnlyList<SlotCount> Slots,
    IReadOnlyList<TypeActionCount> TypesAndActions,
    IReadOnlyList<KeyCount> Actors,
    IReadOnlyList<KeyCount> Ips)
{
    public static EventCounts Empty { get; } = new([], [], [], []);

    /// <summary>
    /// Whether the slots and the types and actions were read from the store's pre-aggregated counts
    /// (<see cref="EventCountSlots"/>) rather than by scanning the events; see <see cref="TopListDays"/> for the top actors and IPs.
    /// </summary>
    public bool Aggregated { get; init; }

    /// <summary>
    /// How many closed UTC days of the range had their top actors and IPs read from the store's day counts
    /// (<see cref="KeyDayCounts"/>) rather than scanned; the rest of the range is scanned.
    /// </summary>
    public int TopListDays { get; init; }

    /// <summary>
    /// How many closed UTC days of the range had their slots and their types and actions read from the store's counts by IP
    /// (<see cref="IpSlotCounts"/>) rather than scanned, for a filter they serve; the rest of the range is scanned.
    /// </summary>
    public int IpDays { get; init; }
}

/// <summary>The events (and the failures among them) whose <c>occurred_at</c> is in the slot starting at <paramref name="Start"/>.</summary>
public readonly record struct SlotCount(DateTimeOffset Start, long Events, long Failures);

/// <summary>The events of one type and action.</summary>
public readonly record struct TypeActionCount(string Type, string Action, long Events, long Failures);

/// <summary>The events that carry one value (an actor, an IP address as text).</summary>
public readonly record struct KeyCount(string Value, long Events, long Failures);

/// <summary>The text of a stored 16-byte IP key (<see cref="Search.IpRange.Key"/>): IPv4 for IPv4-mapped keys.</summary>
public static class IpKeyText
{
    public static string Of(byte[] key)
    {
        var address = new System.Net.IPAddress(key);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
