using System.Net;

namespace Witness.Search;

/// <summary>The fields a search term can test.</summary>
public enum FilterField
{
    /// <summary>Actor id or email (exact, emails case-insensitive).</summary>
    Actor,
    /// <summary>Action, exact; or a prefix when <see cref="FilterTerm.Prefix"/> (from <c>inbox.*</c>).</summary>
    Action,
    Category,
    /// <summary>Log type: activity, access, webhook_failure, integration_failure.</summary>
    Type,
    Outcome,
    /// <summary>A target: <see cref="FilterTerm.TargetType"/> and <see cref="FilterTerm.Value"/> (the id), or the id alone.</summary>
    Target,
    /// <summary>An IP address or CIDR block: <see cref="FilterTerm.IpRange"/>.</summary>
    Ip,
    /// <summary>Free text, matched case-insensitively against the event's shown text.</summary>
    Text,
    /// <summary>A group (<c>(a OR b c)</c>): holds when all terms of any one of <see cref="FilterTerm.Alternatives"/> hold.</summary>
    Any,
}

/// <summary>
/// One condition. All terms of a filter must hold (AND); a <see cref="Negated"/> term must not.
/// </summary>
public sealed record FilterTerm(FilterField Field, string Value, bool Negated = false)
{
    /// <summary>For <see cref="FilterField.Action"/>: match actions starting with <see cref="Value"/> (which ends in '.').</summary>
    public bool Prefix { get; init; }

    /// <summary>For <see cref="FilterField.Target"/>: the target type, or null to match the id under any type.</summary>
    public string? TargetType { get; init; }

    /// <summary>For <see cref="FilterField.Ip"/>: the inclusive range of addresses matched.</summary>
    public IpRange? IpRange { get; init; }

    /// <summary>For <see cref="FilterField.Any"/>: the alternatives (OR), each a list of terms that must all hold (AND).</summary>
    public IReadOnlyList<IReadOnlyList<FilterTerm>> Alternatives { get; init; } = [];
}

/// <summary>
/// An inclusive range of IP addresses in their 16-byte IPv6 form (IPv4 as IPv4-mapped), so that a
/// CIDR block is a range comparison on a stored key.
/// </summary>
public sealed record IpRange(byte[] Low, byte[] High)
{
    /// <summary>The 16-byte key of an address: IPv6 as is, IPv4 mapped (::ffff:a.b.c.d).</summary>
    public static byte[] Key(IPAddress address) =>
        (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();

    /// <summary>Parses an address (a range of one) or a CIDR block such as <c>203.0.113.0/24</c>; false when it is neither.</summary>
    public static bool TryParse(string text, out IpRange? range)
    {
        range = null;
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        var isV4 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var bits = isV4 ? 32 : 128;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bits) || bits > (isV4 ? 32 : 128)))
        {
            return false;
        }

        var key = Key(address);
        var prefixBits = isV4 ? bits + 96 : bits;
        var low = (byte[])key.Clone();
        var high = (byte[])key.Clone();
        for (var i = 0; i < 16; i++)
        {
            var keep = Math.Clamp(prefixBits - (i * 8), 0, 8);
            var mask = (byte)(0xFF << (8 - keep));
            low[i] &= mask;
            high[i] |= (byte)~mask;
        }

        range = new IpRange(low, high);
        return true;
    }
}

/// <summary>
/// What to find: a time window on <c>occurred_at</c> (<see cref="From"/> inclusive, <see cref="To"/>
/// exclusive) and terms that must all hold.
/// </summary>
public sealed record EventFilter
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public IReadOnlyList<FilterTerm> Terms { get; init; } = [];

    public static EventFilter All { get; } = new();

    /// <summary>Both filters at once: the narrower time window and every term of each.</summary>
    public EventFilter And(EventFilter other) => new()
    {
        From = Max(From, other.From),
        To = Min(To, other.To),
        Terms = [.. Terms, .. other.Terms],
    };

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
