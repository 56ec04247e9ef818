using Witness.Search;
using Witness.Storage;

namespace Witness.Tests.Stats;

public sealed class KeyDayCountsTests
{
    [Fact]
    public void A_range_cut_by_day_is_cut_at_UTC_midnights_and_keeps_its_ends_and_terms()
    {
        // Rome's local midnights on either side of the change to summer time: 23:00 and 22:00 UTC.
        var filter = EventFilterBinder.FromParameters(name => name == "type" ? "access" : null, TimeZoneInfo.Utc) with
        {
            From = new DateTimeOffset(2025, 3, 29, 23, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 3, 31, 22, 0, 0, TimeSpan.Zero),
        };

        var days = KeyDayCounts.ByDay(filter).ToList();

        Assert.Equal(
            new[]
            {
                (new DateTimeOffset(2025, 3, 29, 23, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 30, 0, 0, 0, TimeSpan.Zero)),
                (new DateTimeOffset(2025, 3, 30, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 31, 0, 0, 0, TimeSpan.Zero)),
                (new DateTimeOffset(2025, 3, 31, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 31, 22, 0, 0, TimeSpan.Zero)),
            },
            days.Select(d => (d.From!.Value, d.To!.Value)));
        Assert.All(days, d => Assert.Equal(filter.Terms, d.Terms));
        var inOneDay = filter with { From = filter.To!.Value.AddHours(-1) };
        Assert.Equal(inOneDay, Assert.Single(KeyDayCounts.ByDay(inOneDay)));
        Assert.Empty(KeyDayCounts.ByDay(filter with { From = filter.To }));
    }
}
