using System.Globalization;
using System.Text.RegularExpressions;
using Witness.Events;

namespace Witness.Search;

/// <summary>
/// Reads the days and times a search is bounded by: a <c>yyyy-MM-dd</c> day, which runs from local
/// midnight to local midnight in the tenant's zone, or a full RFC 3339 time. Results are in UTC.
/// </summary>
internal static partial class SearchTime
{
    private const long TicksPerMicrosecond = 10;

    // Wider than any UTC offset (-12:00 to +14:00), so the local time at each end lies on its side of the target.
    private static readonly long SearchWindowTicks = TimeSpan.FromHours(18).Ticks;

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}\\z")]
    private static partial Regex DayPattern();

    /// <summary>True when <paramref name="text"/> is a <c>yyyy-MM-dd</c> day.</summary>
    public static bool TryParseDay(string text, out DateOnly day)
    {
        day = default;
        return DayPattern().IsMatch(text)
            && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    /// <summary>
    /// Parses a day or a time into the first instant it covers (<paramref name="start"/>) and the
    /// first instant after it (<paramref name="after"/>): for a day, the next local midnight; for a
    /// time, the next microsecond, the precision events are stored with. False when the text is
    /// neither, or its bounds fall outside the representable range.
    /// </summary>
    public static bool TryParseBounds(string text, TimeZoneInfo zone, out DateTimeOffset start, out DateTimeOffset after)
    {
        start = default;
        after = default;
        try
        {
            if (TryParseDay(text, out var day))
            {
                start = StartOfDay(day, zone);
                after = StartOfDay(day.AddDays(1), zone);
                return true;
            }

            if (Rfc3339.TryParse(text, out var time))
            {
                start = time.ToUniversalTime();
                after = EventParser.Truncate(time).AddTicks(TicksPerMicrosecond);
                return true;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // A day at the very edge of the calendar whose bounds cannot be represented.
        }

        return false;
    }

    /// <summary>
    /// The instant a day begins in <paramref name="zone"/>: local midnight; the earlier one when
    /// clocks go back over midnight; the moment clocks jump forward when midnight is skipped.
    /// </summary>
    public static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return FirstInstantAtOrAfter(local.Ticks, zone);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset FirstInstantAtOrAfter(long localTicks, TimeZoneInfo zone)
    {
        var before = localTicks - SearchWindowTicks;
        var atOrAfter = localTicks + SearchWindowTicks;
        while (atOrAfter - before > 1)
        {
            var middle = before + ((atOrAfter - before) / 2);
            if (LocalTicks(middle, zone) >= localTicks)
            {
                atOrAfter = middle;
            }
            else
            {
                before = middle;
            }
        }

        return new DateTimeOffset(atOrAfter, TimeSpan.Zero);
    }

    private static long LocalTicks(long utcTicks, TimeZoneInfo zone) =>
        utcTicks + zone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc)).Ticks;
}
