using Witness.Storage;

namespace Witness.Tests.Stats;

public sealed class EventCountSlotsTests
{
    private static readonly DateTimeOffset Noon = new(2025, 5, 11, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(899_999_999L, 0L)]
    [InlineData(900_000_000L, 1L)]
    [InlineData(-1L, -1L)]
    [InlineData(-900_000_000L, -1L)]
    [InlineData(-900_000_001L, -2L)]
    public void A_time_falls_in_the_quarter_hour_that_starts_at_or_before_it_also_before_1970(long micros, long slot)
    {
        Assert.Equal(slot, EventCountSlots.Of(micros));
        Assert.InRange(micros - EventCountSlots.StartMicros(slot), 0, 899_999_999);
    }

    [Fact]
    public void The_whole_quarter_hours_of_a_range_leave_out_the_cut_ones_at_either_end()
    {
        var first = EventCountSlots.Of(EventIndexKeys.Micros(Noon));

        Assert.Equal((first, first + 4), EventCountSlots.WholeSlots(Noon, Noon.AddHours(1)));
        Assert.Equal((first + 1, first + 3), EventCountSlots.WholeSlots(Noon.AddTicks(10), Noon.AddMinutes(59)));
        Assert.Null(EventCountSlots.WholeSlots(Noon.AddMinutes(1), Noon.AddMinutes(29)));
    }

    [Fact]
    public void A_tally_drops_the_counts_of_a_forgotten_request_and_keeps_the_others()
    {
        var tally = new EventCountTally();
        var keys = new EventIndexKeys(EventIndexKeys.Micros(Noon), 0, "activity", "inbox.create", null, "success", null, null, null, "", []);

        tally.BeginRequest();
        tally.Add(1, keys);
        tally.BeginRequest();
        tally.Add(1, keys);
        tally.Add(2, keys with { Outcome = "failure" });
        tally.ForgetRequest();
        tally.BeginRequest();
        tally.Add(1, keys);

        var counts = tally.Take();
        Assert.Equal([(new EventCountKey(1, EventCountSlots.Of(EventIndexKeys.Micros(Noon)), "activity", "inbox.create", "success", ""), 2L)], counts.Select(c => (c.Key, c.Value)));
        Assert.Empty(tally.Take());
    }
}
