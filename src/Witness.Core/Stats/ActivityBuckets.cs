namespace Witness.Stats;

/// <summary>
/// The bars of an activity histogram: which width a range gets, and where each bar starts, in a time
/// zone. Bars start at the zone's wall-clock minute, hour, midnight, Monday or first of the month, so
/// a day across a DST change is 23 or 25 hours long and an hour bar of a zone at +05:30 starts at
/// :30 UTC. Every zone's offset is a whole number of quarter hours, so a bar is a whole number of
/// UTC slots of <see cref="SlotSeconds"/>, which the store counts.
/// </summary>
public static class ActivityBuckets
{
    /// <summary>The most bars one histogram may have; a narrower bucket over a longer range is refused.</summary>
    public const int MaxBuckets = 1500;

    public static IReadOnlyList<string> Names { get; } = ["minute", "hour", "day", "week", "month"];

    public static bool TryParse(string text, out StatsBucket bucket)
    {
        var index = Names.ToList().IndexOf(text);
        bucket = (StatsBucket)Math.Max(index, 0);
        return index >= 0;
    }

    public static string Name(StatsBucket bucket) => Names[(int)bucket];

    /// <summary>The width that gives a readable number of bars (at most about 180) for the range.</summary>
    public static StatsBucket Choose(DateTimeOffset from, DateTimeOffset to)
    {
        var span = to - from;
        return span <= TimeSpan.FromHours(3) ? StatsBucket.Minute
            : span <= TimeSpan.FromDays(4) ? StatsBucket.Hour
            : span <= TimeSpan.FromDays(120) ? StatsBucket.Day
            : span <= TimeSpan.FromDays(3 * 366) ? StatsBucket.Week
            : StatsBucket.Month;
    }

    /// <summary>The length of the UTC slots a store counts for bars of this width: a minute, else a quarter hour.</summary>
    public static int SlotSeconds(StatsBucket bucket) => bucket == StatsBucket.Minute ? 60 : 900;

    /// <summary>
    /// The bars covering [<paramref name="from"/>, <paramref name="to"/>): each one's start and end,
    /// cut to the range (the first may start at <paramref name="from"/>, the last end at <paramref name="to"/>).
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxBuckets"/> bars, or <paramref name="to"/> not after <paramref name="from"/>.</exception>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Cover(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone, StatsBucket bucket)
    {
        if (to <= from)
        {
            throw new ArgumentException("the range is empty", nameof(to));
        }

        var bars = new List<(DateTimeOffset, DateTimeOffset)>();
        var start = StartOf(from, zone, bucket);
        while (start < to)
        {
            var next = Next(start, zone, bucket);
            bars.Add((start < from ? from : start, next > to ? to : next));
            if (bars.Count > MaxBuckets)
            {
                throw new ArgumentException($"more than {MaxBuckets} {Name(bucket)} buckets in the range", nameof(bucket));
            }

            start = next;
        }

        return bars;
    }

    /// <summary>The start of the bar that holds <paramref name="time"/>.</summary>
    public static DateTimeOffset StartOf(DateTimeOffset time, TimeZoneInfo zone, StatsBucket bucket)
    {
        // Minutes and hours: cut the wall-clock time at the offset in force at that instant, which is never ambiguous.
        if (bucket is StatsBucket.Minute or StatsBucket.Hour)
        {
            var offset = zone.GetUtcOffset(time);
            var local = time.UtcDateTime + offset;
            var unit = bucket == StatsBucket.Minute ? TimeSpan.TicksPerMinute : TimeSpan.TicksPerHour;
            return new DateTimeOffset(local.Ticks - (local.Ticks % unit) - offset.Ticks, TimeSpan.Zero);
        }

        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, zone).DateTime);
        day = bucket switch
        {
            StatsBucket.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            StatsBucket.Month => new DateOnly(day.Year, day.Month, 1),
            _ => day,
        };
        var start = Midnight(day, zone);
        // A midnight that falls after the time itself (a day that starts late, in a zone that skips midnight) still holds it.
        return start <= time ? start : Midnight(day.AddDays(-1), zone);
    }

    private static DateTimeOffset Next(DateTimeOffset start, TimeZoneInfo zone, StatsBucket bucket)
    {
        switch (bucket)
        {
            case StatsBucket.Minute:
                return StartOf(start.AddMinutes(1), zone, bucket);
            case StatsBucket.Hour:
                // An offset that changes by half an hour moves the hour marks: the next start is after the next full hour of UTC.
                var next = StartOf(start.AddHours(1), zone, bucket);
                return next > start ? next : start.AddHours(1);
            default:
                var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
                var following = bucket switch
                {
                    StatsBucket.Week => day.AddDays(7),
                    StatsBucket.Month => day.AddMonths(1),
                    _ => day.AddDays(1),
                };
                return Midnight(following, zone);
        }
    }

    /// <summary>The first instant of a local day: midnight, or the end of the gap when the clocks skip midnight; the earlier midnight when it happens twice.</summary>
    public static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }
}
