using Witness.Search;
using Xunit;

namespace Witness.Tests.Search;

public sealed class SearchQueryParserCreatedTests
{
    private static readonly TimeZoneInfo Rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");

    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static (DateTimeOffset? From, DateTimeOffset? To) Window(string q, TimeZoneInfo? zone = null)
    {
        var filter = SearchQueryParser.Parse(q, zone ?? TimeZoneInfo.Utc);
        Assert.Empty(filter.Terms);
        return (filter.From, filter.To);
    }

    [Fact]
    public void At_or_after_a_day_starts_at_its_midnight()
    {
        Assert.Equal((Utc(2023, 6, 1), null), Window("created:>=2023-06-01"));
    }

    [Fact]
    public void After_a_day_starts_when_the_day_ends()
    {
        Assert.Equal((Utc(2023, 6, 2), null), Window("created:>2023-06-01"));
    }

    [Fact]
    public void At_or_before_a_day_includes_the_whole_day()
    {
        Assert.Equal((null, Utc(2023, 6, 2)), Window("created:<=2023-06-01"));
    }

    [Fact]
    public void Before_a_day_ends_at_its_midnight()
    {
        Assert.Equal((null, Utc(2023, 6, 1)), Window("created:<2023-06-01"));
    }

    [Fact]
    public void A_day_alone_is_that_whole_day()
    {
        Assert.Equal((Utc(2023, 6, 1), Utc(2023, 6, 2)), Window("created:2023-06-01"));
    }

    [Fact]
    public void A_range_of_days_includes_both_ends()
    {
        Assert.Equal((Utc(2023, 6, 1), Utc(2023, 7, 1)), Window("created:2023-06-01..2023-06-30"));
        Assert.Equal((Utc(2023, 6, 1), Utc(2023, 6, 2)), Window("created:2023-06-01..2023-06-01"));
    }

    [Fact]
    public void A_range_may_be_open_at_either_end()
    {
        Assert.Equal((Utc(2023, 6, 1), null), Window("created:2023-06-01..*"));
        Assert.Equal((null, Utc(2023, 7, 1)), Window("created:*..2023-06-30"));
    }

    [Fact]
    public void Full_times_are_bounds_to_the_microsecond_in_utc()
    {
        var ten = Utc(2023, 6, 1, 10);
        var microsecond = TimeSpan.FromTicks(10);

        Assert.Equal((Utc(2023, 6, 1, 8), null), Window("created:>=2023-06-01T10:00:00+02:00"));
        Assert.Equal(TimeSpan.Zero, Window("created:>=2023-06-01T10:00:00+02:00").From!.Value.Offset);
        Assert.Equal((ten + microsecond, null), Window("created:>2023-06-01T10:00:00Z"));
        Assert.Equal((null, ten), Window("created:<2023-06-01T10:00:00Z"));
        Assert.Equal((null, ten + microsecond), Window("created:<=2023-06-01T10:00:00Z"));
        Assert.Equal((ten, ten + microsecond), Window("created:2023-06-01T10:00:00Z"));
        Assert.Equal((ten, Utc(2023, 6, 1, 12) + microsecond), Window("created:2023-06-01T10:00:00Z..2023-06-01T12:00:00Z"));
    }

    [Fact]
    public void Days_and_times_can_be_mixed_in_a_range()
    {
        Assert.Equal((Utc(2023, 6, 1), Utc(2023, 6, 1, 12, 30) + TimeSpan.FromTicks(10)), Window("created:2023-06-01..2023-06-01T12:30:00Z"));
    }

    [Fact]
    public void Several_created_terms_intersect()
    {
        Assert.Equal(
            (Utc(2023, 6, 10), Utc(2023, 7, 1)),
            Window("created:>=2023-06-01 created:<2023-07-01 created:2023-06-10..2023-08-01"));
    }

    [Fact]
    public void Created_terms_sit_beside_other_terms()
    {
        var filter = SearchQueryParser.Parse("actor:bob created:2023-06-01 hello", TimeZoneInfo.Utc);

        Assert.Equal([FilterField.Actor, FilterField.Text], filter.Terms.Select(t => t.Field));
        Assert.Equal(Utc(2023, 6, 1), filter.From);
    }

    [Fact]
    public void A_summer_day_in_rome_runs_from_local_midnight_to_local_midnight()
    {
        Assert.Equal((Utc(2023, 5, 31, 22), Utc(2023, 6, 1, 22)), Window("created:2023-06-01", Rome));
    }

    [Fact]
    public void A_winter_day_in_rome_starts_an_hour_before_utc_midnight()
    {
        Assert.Equal((Utc(2023, 1, 14, 23), Utc(2023, 1, 15, 23)), Window("created:2023-01-15", Rome));
        Assert.Equal((Utc(2023, 1, 14, 23), null), Window("created:>=2023-01-15", Rome));
        Assert.Equal((null, Utc(2023, 1, 15, 23)), Window("created:<=2023-01-15", Rome));
    }

    [Fact]
    public void The_day_rome_moves_its_clocks_forward_lasts_23_hours()
    {
        var (from, to) = Window("created:2023-03-26", Rome);

        Assert.Equal(Utc(2023, 3, 25, 23), from);
        Assert.Equal(Utc(2023, 3, 26, 22), to);
    }

    [Fact]
    public void A_range_of_days_in_rome_spans_local_midnights()
    {
        Assert.Equal((Utc(2023, 5, 31, 22), Utc(2023, 6, 30, 22)), Window("created:2023-06-01..2023-06-30", Rome));
    }

    [Fact]
    public void Full_times_ignore_the_zone()
    {
        Assert.Equal((Utc(2023, 6, 1, 10), null), Window("created:>=2023-06-01T10:00:00Z", Rome));
    }

    [Fact]
    public void A_day_whose_midnight_is_skipped_starts_when_clocks_jump_forward()
    {
        // Chile moved from -04:00 to -03:00 at midnight starting 2023-09-03: that day began at 01:00 local.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");

        Assert.Equal((Utc(2023, 9, 3, 4), Utc(2023, 9, 4, 3)), Window("created:2023-09-03", santiago));
    }

    [Fact]
    public void A_day_whose_midnight_happens_twice_starts_at_the_first()
    {
        // Cuba moved from -04:00 back to -05:00 at 01:00 on 2023-11-05: local midnight came twice.
        var havana = TimeZoneInfo.FindSystemTimeZoneById("America/Havana");

        Assert.Equal((Utc(2023, 11, 5, 4), Utc(2023, 11, 6, 5)), Window("created:2023-11-05", havana));
    }
}
