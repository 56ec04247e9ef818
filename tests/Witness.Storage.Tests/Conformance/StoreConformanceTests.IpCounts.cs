using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Witness.Search;
using Witness.Stats;

namespace Witness.Storage.Tests.Conformance;

/// <summary>The histograms of IP filters, read for closed days from the counts by IP (<see cref="IpSlotCounts"/>) and scanned for the rest.</summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>
    /// Counts the filter per quarter hour with no top lists (a histogram), compares every slot and every type and action with
    /// the events a search lists, and answers how many days came from the counts by IP.
    /// </summary>
    private static async Task<int> AssertIpCountsEqualSearchAsync(IWitnessStore store, string tenant, EventFilter filter) =>
        (await AssertSlotsAndActionsEqualSearchAsync(store, tenant, filter, 0)).Counts.IpDays;

    private Task<long> IpCountRowsAsync(string tenant) =>
        SqlAsync(tenant, "SELECT (SELECT count(*) FROM ip_slot_counts WHERE tenant_id = {tenant}) + (SELECT count(*) FROM ip_action_counts WHERE tenant_id = {tenant})");

    [Theory]
    [InlineData("ip=203.0.113.7", true)]
    [InlineData("ip=2001:db8::7", true)]
    [InlineData("ip=10.0.0.0/24", true)]
    [InlineData("ip=10.0.0.0/30", true)]
    [InlineData("ip=2001:db8::/32", true)]
    [InlineData("ip=2001:db8::/125", true)]
    [InlineData("q=ip:10.0.0.0/8 type:access", true)]
    [InlineData("q=ip:203.0.113.0/24 -type:access", true)]
    [InlineData("q=ip:10.0.0.0/8 -ip:10.0.0.2", true)]
    [InlineData("q=ip:198.51.100.9 (type:access OR ip:203.0.113.7)", true)]
    [InlineData("q=ip:192.0.2.0/24", true)]
    [InlineData("q=ip:203.0.113.7 action:user.login", false)]
    [InlineData("q=-ip:203.0.113.7", false)]
    public async Task The_histogram_of_an_IP_filter_reads_filled_days_from_the_counts_by_IP_scans_the_rest_and_equals_the_search(string parameters, bool served)
    {
        // Half an hour into 2025-04-01: 2025-03-29 and 2025-03-30 are closed, 2025-03-31 ended less than the late margin ago.
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 4, 1, 0, 30, 0, TimeSpan.Zero));
        await using var store = await OpenStoreAsync(clock, fillKeyDaysOnCount: false);
        var fill = (IKeyDayCountsStore)store;
        var tenant = await AppendTopListDaysAsync(store);
        await AppendTopListDaysAsync(store, count: 40);
        var filter = TopListsFilter(parameters, "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");
        var days = (int filled) => served ? filled : 0;

        // Nothing filled: the whole range is scanned.
        Assert.Equal(0, await AssertIpCountsEqualSearchAsync(store, tenant, filter));
        Assert.Equal(0, await IpCountRowsAsync(tenant));
        Assert.Equal(2, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.True(await IpCountRowsAsync(tenant) > 0);
        Assert.Equal(days(2), await AssertIpCountsEqualSearchAsync(store, tenant, filter));

        // Late events dated in a filled day make it scanned until the next pass fills it again.
        await store.AppendManyAsync(tenant, 30, i => Submit.Event(tenant, "inbox.update", e =>
        {
            e["occurred_at"] = "2025-03-30T12:00:00Z";
            e["outcome"] = i % 3 == 0 ? "failure" : "success";
            e["context"] = new JsonObject { ["ip"] = (i % 3) switch { 0 => "203.0.113.7", 1 => "10.0.0.9", _ => "2001:db8::7" } };
        }));
        Assert.Equal(days(1), await AssertIpCountsEqualSearchAsync(store, tenant, filter));
        Assert.Equal(1, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(days(2), await AssertIpCountsEqualSearchAsync(store, tenant, filter));

        // 2025-03-31 closes: filled by the next pass and read.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(days(3), await AssertIpCountsEqualSearchAsync(store, tenant, filter));

        // In hour slots in a zone a quarter hour off UTC the histogram's bars are still whole slots, and equal the search.
        var nepal = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kathmandu");
        var stats = await new EventStatsService(store, clock).CountAsync(tenant, filter, nepal, StatsBucket.Hour, 0, CancellationToken.None);
        var listed = new List<StoredEvent>();
        await foreach (var e in store.StreamAsync(tenant, filter, CancellationToken.None))
        {
            listed.Add(e);
        }

        Assert.Equal(stats.Bars.Select(b => (long)listed.Count(e => e.Event.OccurredAt >= b.Start && e.Event.OccurredAt < b.End)), stats.Bars.Select(b => b.Events));
    }

    [Fact]
    public async Task A_store_that_fills_on_count_fills_the_closed_days_an_IP_histogram_needs_and_reads_them()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("ip=203.0.113.0/24", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");

        Assert.Equal(4, await AssertIpCountsEqualSearchAsync(store, tenant, filter));
        Assert.Equal(4, await FilledDaysAsync(tenant));
        Assert.Equal(4, await AssertIpCountsEqualSearchAsync(store, tenant, filter));
    }
}
