using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// The counts by IP address a store keeps for the histograms of IP filters (migration 028): per tenant, UTC day, IP key
/// and quarter-hour slot (<see cref="EventCountSlots"/>) and type, how many events and failures (<c>ip_slot_counts</c>);
/// per tenant, day, IP key, type and action the same (<c>ip_action_counts</c>). Each IP is kept twice: its own 16-byte key
/// (<see cref="ExactBits"/>) and the key of its block, the address with its last byte zero (<see cref="BlockBits"/>: an
/// IPv4 /24, an IPv6 /120), so that a CIDR block of whole blocks reads one row per block and slot instead of one per
/// address. They are filled with the top lists' day counts (<see cref="KeyDayCounts"/>), for the same closed days, in the
/// same transaction, off the append path; read while the day is (<see cref="KeyDayCounts.Usable"/>); forgotten with it by
/// purges, dropped months, erasure and tenant deletion. The rest of the range is scanned as before.
/// </summary>
public static class IpSlotCounts
{
    /// <summary>The <c>bits</c> of the rows keyed by an address's own key.</summary>
    public const int ExactBits = 128;

    /// <summary>The <c>bits</c> of the rows keyed by the block of an address: its key with the last byte zero.</summary>
    public const int BlockBits = 120;

    /// <summary>
    /// Whether the counts can answer a filter counted in slots of <paramref name="slotSeconds"/>: the slots are whole quarter
    /// hours, a term outside any group tests the IP positively (so every event counted has an IP, which the counts need),
    /// and every term (groups included) tests only the IP or the type.
    /// </summary>
    public static bool Serve(EventFilter filter, int slotSeconds)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return slotSeconds % EventCountSlots.SlotSeconds == 0
               && filter.Terms.Any(t => t is { Field: FilterField.Ip, Negated: false })
               && filter.Terms.All(Kept);
    }

    /// <summary>
    /// Which rows answer the filter: the blocks' (<see cref="BlockBits"/>) when every IP term (groups included) is a range of
    /// whole blocks, so that a block is either wholly in it or wholly out, else the addresses' own (<see cref="ExactBits"/>).
    /// Both hold the same key byte form, so the search's own IP condition tests either.
    /// </summary>
    public static int Bits(EventFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Terms.All(WholeBlocks) ? BlockBits : ExactBits;
    }

    private static bool Kept(FilterTerm term) => term.Field switch
    {
        FilterField.Ip or FilterField.Type => true,
        FilterField.Any => term.Alternatives.All(terms => terms.All(Kept)),
        _ => false,
    };

    private static bool WholeBlocks(FilterTerm term) => term.Field switch
    {
        FilterField.Ip => term.IpRange is { } range && range.Low[^1] == 0 && range.High[^1] == 0xFF,
        FilterField.Any => term.Alternatives.All(terms => terms.All(WholeBlocks)),
        _ => true,
    };
}
