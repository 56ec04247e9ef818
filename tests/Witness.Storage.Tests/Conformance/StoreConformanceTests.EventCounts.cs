using System.Globalization;
using System.Text.Json.Nodes;
using Witness.Retention;
using Witness.Search;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    private static readonly DateTimeOffset CountsStart = new(2025, 5, 10, 22, 3, 0, TimeSpan.Zero);

    /// <summary>Runs SQL on the store's database and answers the first value.</summary>
    protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>
    /// An event every 7 minutes for a day from <see cref="CountsStart"/>: four actions of two types,
    /// failures every fifth, categories cycling through two names, the same name in another case, and
    /// none; two actors and two IPs.
    /// </summary>
    private static async Task<string> AppendCountedDayAsync(IWitnessStore store, string? tenant = null, int count = 206)
    {
        tenant ??= Submit.Tenant();
        string[] actions = ["inbox.create", "inbox.update", "user.login", "team.delete"];
        await store.AppendManyAsync(tenant, count, i => Submit.Event(tenant, actions[i % 4], e =>
        {
            e["occurred_at"] = CountsStart.AddMinutes(7 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["type"] = i % 4 == 2 ? "access" : "activity";
            e["outcome"] = i % 5 == 0 ? "failure" : "success";
            switch (i % 4)
            {
                case 0: e["category"] = "Inboxes"; break;
                case 1: e["category"] = "Teams"; break;
                case 2: e["category"] = "INBOXES"; break;
                default: e.Remove("category"); break;
            }

            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 2}" };
            e["context"] = new JsonObject { ["ip"] = i % 3 == 0 ? "203.0.113.7" : "198.51.100.9" };
        }));
        return tenant;
    }

    /// <summary>
    /// Counts the filter per quarter hour straight from the store and compares every slot and every
    /// type and action with the events a search lists; answers whether the counts came from the aggregate.
    /// </summary>
    private static async Task<bool> AssertCountsEqualSearchAsync(IWitnessStore store, string tenant, EventFilter filter)
    {
        var (listed, counts) = await AssertSlotsAndActionsEqualSearchAsync(store, tenant, filter, 50);
        Assert.Equal(listed.Count(e => e.Event.Actor.Id is not null), counts.Actors.Sum(a => a.Events));
        return counts.Aggregated;
    }

    /// <summary>
    /// Counts the filter per quarter hour with <paramref name="top"/> entries in the top lists and compares every slot and
    /// every type and action with the events a search lists; answers both for further checks.
    /// </summary>
    private static async Task<(List<StoredEvent> Listed, EventCounts Counts)> AssertSlotsAndActionsEqualSearchAsync(IWitnessStore store, string tenant, EventFilter filter, int top)
    {
        var listed = new List<StoredEvent>();
        await foreach (var e in store.StreamAsync(tenant, filter, CancellationToken.None))
        {
            listed.Add(e);
        }

        var counts = await ((IEventStatsStore)store).CountAsync(tenant, filter, 900, top, CancellationToken.None);
        var slotOf = (StoredEvent e) => EventIndexKeys.FromMicros(EventCountSlots.StartMicros(EventCountSlots.Of(EventIndexKeys.Micros(e.Event.OccurredAt))));
        Assert.Equal(
            listed.GroupBy(slotOf).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count(), (long)g.Count(e => e.Event.Outcome == "failure"))),
            counts.Slots.Where(s => s.Events > 0).Select(s => (s.Start, s.Events, s.Failures)));
        Assert.Equal(
            listed.GroupBy(e => (e.Event.Type, e.Event.Action)).OrderBy(g => g.Key).Select(g => (g.Key.Type, g.Key.Action, (long)g.Count(), (long)g.Count(e => e.Event.Outcome == "failure"))),
            counts.TypesAndActions.Where(t => t.Events > 0).OrderBy(t => (t.Type, t.Action)).Select(t => (t.Type, t.Action, t.Events, t.Failures)));
        return (listed, counts);
    }

    private static EventFilter CountsFilter(string parameters, DateTimeOffset from, DateTimeOffset to)
    {
        var query = parameters.Split('&', StringSplitOptions.RemoveEmptyEntries).ToDictionary(p => p.Split('=', 2)[0], p => p.Split('=', 2)[1]);
        return EventFilterBinder.FromParameters(name => query.GetValueOrDefault(name), TimeZoneInfo.Utc) with { From = from, To = to };
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("action=inbox.*", true)]
    [InlineData("action=user.login", true)]
    [InlineData("type=access", true)]
    [InlineData("outcome=failure", true)]
    [InlineData("category=inboxes", true)]
    [InlineData("q=-category:Teams", true)]
    [InlineData("q=(action:user.login OR type:activity) -outcome:failure", true)]
    [InlineData("actor=u_1", false)]
    [InlineData("ip=203.0.113.0/24", false)]
    [InlineData("q=(action:user.login OR actor:u_1)", false)]
    [InlineData("q=login", false)]
    public async Task Counts_come_from_the_aggregate_for_action_type_outcome_and_category_and_from_a_scan_otherwise_and_equal_the_search(string parameters, bool aggregated)
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendCountedDayAsync(store);

        // Whole quarter hours, and a range cut inside quarter hours at both ends (scanned there).
        var wholeHours = CountsFilter(parameters, new DateTimeOffset(2025, 5, 11, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 5, 11, 12, 0, 0, TimeSpan.Zero));
        var cut = CountsFilter(parameters, new DateTimeOffset(2025, 5, 10, 23, 7, 30, TimeSpan.Zero), new DateTimeOffset(2025, 5, 11, 13, 52, 1, TimeSpan.Zero));

        Assert.Equal(aggregated, await AssertCountsEqualSearchAsync(store, tenant, wholeHours));
        Assert.Equal(aggregated, await AssertCountsEqualSearchAsync(store, tenant, cut));
        Assert.Equal(aggregated, EventCountSlots.Serve(cut, 900));
    }

    [Fact]
    public async Task Minute_slots_and_a_range_inside_one_quarter_hour_are_scanned_and_equal_the_search()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendCountedDayAsync(store);
        var filter = CountsFilter("", new DateTimeOffset(2025, 5, 11, 1, 1, 0, TimeSpan.Zero), new DateTimeOffset(2025, 5, 11, 1, 14, 0, TimeSpan.Zero));

        Assert.False(await AssertCountsEqualSearchAsync(store, tenant, filter));
        var twoHours = filter with { To = filter.To!.Value.AddHours(2) };
        var minutes = await ((IEventStatsStore)store).CountAsync(tenant, twoHours, 60, 0, CancellationToken.None);
        var listed = 0;
        await foreach (var e in store.StreamAsync(tenant, twoHours, CancellationToken.None))
        {
            Assert.Contains(minutes.Slots, s => s.Start == new DateTimeOffset(e.Event.OccurredAt.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero) && s.Events == 1);
            listed++;
        }

        Assert.False(minutes.Aggregated);
        Assert.Equal(19, listed);
        Assert.Equal(listed, minutes.Slots.Sum(s => s.Events));
    }

    [Fact]
    public async Task A_request_rolled_back_in_a_group_adds_nothing_to_the_counts()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(Submit.Event(tenant, change: e => e["id"] = "dup")));

        await store.AppendAsync(
            [
                Submit.Request(Submit.Event(tenant, change: e => e["id"] = "a")),
                Submit.Request(Submit.Event(tenant, "team.delete", e => e["id"] = "b"), Submit.Event(tenant, "inbox.delete", e => e["id"] = "dup")),
                Submit.Request(Submit.Event(tenant, change: e => e["id"] = "c")),
            ],
            Submit.Now,
            CancellationToken.None);

        var filter = CountsFilter("", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 6, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.True(await AssertCountsEqualSearchAsync(store, tenant, filter));
        var counts = await ((IEventStatsStore)store).CountAsync(tenant, filter, 900, 0, CancellationToken.None);
        Assert.Equal([("inbox.create", 3L)], counts.TypesAndActions.Select(t => (t.Action, t.Events)));
    }

    [Fact]
    public async Task Counts_after_a_retention_purge_equal_what_a_search_lists_on_both_paths()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendCountedDayAsync(store, count: RetentionBlocks.BlockSize + 50);
        var before = await ScalarAsync($"SELECT count(*) FROM event_counts");

        var batch = await ((IRetentionStore)store).PurgeAsync(tenant, Submit.Now.AddSeconds(1), RetentionBlocks.BlockSize, CancellationToken.None);

        Assert.Equal(new PurgeBatch(1, RetentionBlocks.BlockSize), batch);
        var all = CountsFilter("", CountsStart.AddDays(-1), CountsStart.AddDays(3));
        Assert.True(await AssertCountsEqualSearchAsync(store, tenant, all));
        Assert.False(await AssertCountsEqualSearchAsync(store, tenant, CountsFilter("actor=u_1", all.From!.Value, all.To!.Value)));
        var counts = await ((IEventStatsStore)store).CountAsync(tenant, all, 900, 0, CancellationToken.None);
        Assert.Equal(50, counts.Slots.Sum(s => s.Events));
        // Rows that reached zero are removed, not kept as zeros.
        Assert.True(Convert.ToInt64(await ScalarAsync("SELECT count(*) FROM event_counts WHERE events <= 0"), CultureInfo.InvariantCulture) == 0);
        Assert.True(Convert.ToInt64(await ScalarAsync("SELECT count(*) FROM event_counts"), CultureInfo.InvariantCulture) < Convert.ToInt64(before, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_deleted_tenants_counts_are_removed_and_a_new_tenant_of_that_name_counts_only_its_own_events()
    {
        await using var store = await OpenStoreAsync();
        var other = await AppendCountedDayAsync(store);
        var tenant = await AppendCountedDayAsync(store);

        await ((ITenantStore)store).DeleteTenantAsync(tenant, CancellationToken.None);

        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync("SELECT count(*) FROM event_counts WHERE tenant_id NOT IN (SELECT id FROM tenants)"), CultureInfo.InvariantCulture));
        await AppendCountedDayAsync(store, tenant, count: 3);
        var all = CountsFilter("", CountsStart.AddDays(-1), CountsStart.AddDays(3));
        Assert.True(await AssertCountsEqualSearchAsync(store, tenant, all));
        Assert.Equal(3, (await ((IEventStatsStore)store).CountAsync(tenant, all, 900, 0, CancellationToken.None)).Slots.Sum(s => s.Events));
        Assert.True(await AssertCountsEqualSearchAsync(store, other, all));
    }

    [Fact]
    public async Task The_migration_backfills_the_counts_of_events_stored_before_them()
    {
        var tenant = Submit.Tenant();
        await using (var first = await OpenStoreAsync())
        {
            await AppendCountedDayAsync(first, tenant);
        }

        // The events stay; the counts and the record of their migration go, as before the upgrade.
        await ScalarAsync("DROP TABLE event_counts");
        await ScalarAsync("DELETE FROM schema_migrations WHERE version = 14");

        await using var store = await OpenStoreAsync();
        foreach (var parameters in new[] { "", "outcome=failure", "q=-category:Teams", "action=inbox.*" })
        {
            Assert.True(await AssertCountsEqualSearchAsync(store, tenant, CountsFilter(parameters, CountsStart.AddDays(-1), CountsStart.AddDays(3))));
        }

        await AppendCountedDayAsync(store, tenant, count: 10);
        Assert.True(await AssertCountsEqualSearchAsync(store, tenant, CountsFilter("", CountsStart.AddDays(-1), CountsStart.AddDays(3))));
    }
}
