using Witness.Search;

namespace Witness.Storage;

/// <summary>Which key a grouped scan of the top lists groups the events by.</summary>
public enum TopListKey
{
    /// <summary>The actor: its id, else its email.</summary>
    Actor,

    /// <summary>The IP address, as its 16-byte key.</summary>
    Ip,
}

/// <summary>
/// The top actors and IPs of <see cref="IEventStatsStore.CountAsync"/>, assembled the same way by every store around
/// its own reads: for a filter the day counts serve, the range's closed days from them (<see cref="KeyDayCounts"/>)
/// and the rest of the range scanned a UTC day at a time and grouped by key, added up; else one grouped scan per key
/// limited to the top.
/// </summary>
public static class TopLists
{
    /// <summary>
    /// Reads the top <paramref name="top"/> actors and IPs of <paramref name="filter"/>. <paramref name="closedDays"/> are
    /// the range's closed days when the day counts serve the filter (else null); <paramref name="readDays"/> adds the
    /// counts of those it can read to the builder and answers them (ascending); <paramref name="scan"/> adds the groups of a
    /// part of the range for one key to the builder, most events first and only the first <c>limit</c> when a limit is
    /// given (the store's <c>ORDER BY count DESC, key LIMIT n</c>, which ranks as <see cref="TopKeysBuilder"/> does).
    /// </summary>
    public static async Task<(IReadOnlyList<KeyCount> Actors, IReadOnlyList<KeyCount> Ips, int Days)> CountAsync(
        EventFilter filter, int top, (long First, long End)? closedDays,
        Func<(long First, long End), TopKeysBuilder, Task<IReadOnlyList<long>>> readDays,
        Func<EventFilter, TopListKey, int?, TopKeysBuilder, Task> scan)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(readDays);
        ArgumentNullException.ThrowIfNull(scan);
        if (top <= 0)
        {
            return ([], [], 0);
        }

        var keys = new TopKeysBuilder();
        IReadOnlyList<long> counted = [];
        if (closedDays is { } days)
        {
            counted = await readDays(days, keys);
            // A UTC day at a time: a day's groups (~33,000 rows at a million events a month) are sorted or hashed in memory,
            // where a month's spill; measured at 1M events, 30 days one by one cost half the month's one scan on both stores.
            foreach (var part in KeyDayCounts.Rest(filter, counted).SelectMany(KeyDayCounts.ByDay))
            {
                await scan(part, TopListKey.Actor, null, keys);
                await scan(part, TopListKey.Ip, null, keys);
            }
        }
        else
        {
            await scan(filter, TopListKey.Actor, top, keys);
            await scan(filter, TopListKey.Ip, top, keys);
        }

        return (keys.TopActors(top), keys.TopIps(top), counted.Count);
    }

    /// <summary>The SQL that ends a grouped scan limited to the top <paramref name="limit"/> (count is the 2nd column, the key the 1st), or nothing.</summary>
    public static string LimitSql(int? limit) => limit is { } n ? $" ORDER BY 2 DESC, 1 LIMIT {n}" : "";
}
