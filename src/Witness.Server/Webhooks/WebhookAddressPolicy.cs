using System.Net;
using System.Net.Sockets;

namespace Witness.Server.Webhooks;

/// <summary>
/// Which addresses a webhook may connect to: public unicast only. Refused are loopback, the private
/// ranges (10/8, 172.16/12, 192.168/16), shared address space (100.64/10), link-local (169.254/16,
/// with cloud metadata at 169.254.169.254, and fe80::/10), unique-local fc00::/7, site-local
/// fec0::/10, multicast, unspecified and "this network" (0/8), broadcast, the reserved and
/// documentation ranges, and IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
/// 6to4) whose IPv4 address is refused.
/// </summary>
internal static class WebhookAddressPolicy
{
    private static readonly (byte[] Network, int Bits)[] RefusedV4 =
    [
        ([0, 0, 0, 0], 8),          // "this network"
        ([10, 0, 0, 0], 8),         // private
        ([100, 64, 0, 0], 10),      // shared address space (carrier-grade NAT)
        ([127, 0, 0, 0], 8),        // loopback
        ([169, 254, 0, 0], 16),     // link-local, cloud metadata
        ([172, 16, 0, 0], 12),      // private
        ([192, 0, 0, 0], 24),       // IETF protocol assignments
        ([192, 0, 2, 0], 24),       // documentation
        ([192, 88, 99, 0], 24),     // 6to4 relay anycast
        ([192, 168, 0, 0], 16),     // private
        ([198, 18, 0, 0], 15),      // benchmarking
        ([198, 51, 100, 0], 24),    // documentation
        ([203, 0, 113, 0], 24),     // documentation
        ([224, 0, 0, 0], 4),        // multicast
        ([240, 0, 0, 0], 4),        // reserved, broadcast
    ];

    private static readonly (byte[] Network, int Bits)[] RefusedV6 =
    [
        (IPAddress.Parse("100::").GetAddressBytes(), 64),      // discard
        (IPAddress.Parse("2001::").GetAddressBytes(), 23),     // IETF protocol assignments, Teredo
        (IPAddress.Parse("2001:db8::").GetAddressBytes(), 32), // documentation
        (IPAddress.Parse("fc00::").GetAddressBytes(), 7),      // unique local
        (IPAddress.Parse("fe80::").GetAddressBytes(), 10),     // link-local
        (IPAddress.Parse("fec0::").GetAddressBytes(), 10),     // site-local (deprecated)
        (IPAddress.Parse("ff00::").GetAddressBytes(), 8),      // multicast
    ];

    /// <summary>True when a webhook may connect to <paramref name="address"/>.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !InAny(address.GetAddressBytes(), RefusedV4);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        if (EmbeddedV4(bytes) is { } v4)
        {
            return IsPublic(v4);
        }

        return !InAny(bytes, RefusedV6);
    }

    /// <summary>
    /// The IPv4 address an IPv6 address stands for: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d,
    /// which includes :: and ::1), NAT64 (64:ff9b::/96) and 6to4 (2002:a.b.c.d::/16).
    /// </summary>
    private static IPAddress? EmbeddedV4(byte[] b)
    {
        var firstTenZero = b.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0;
        if (firstTenZero && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        return b[0] == 0x20 && b[1] == 0x02 ? new IPAddress(b.AsSpan(2, 4)) : null;
    }

    private static bool InAny(byte[] address, (byte[] Network, int Bits)[] ranges) => ranges.Any(r => InRange(address, r.Network, r.Bits));

    private static bool InRange(byte[] address, byte[] network, int bits)
    {
        for (var i = 0; i < network.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? (byte)0xff : (byte)(0xff << (8 - bits));
            if ((address[i] & mask) != (network[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
