using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Witness.Events;
using Witness.Privacy;
using Witness.Retention;
using Witness.Search;

namespace Witness.Storage.Tests.Conformance;

/// <summary>The top actors and IPs of <see cref="IEventStatsStore.CountAsync"/>, and the day counts that answer them for closed days (<see cref="KeyDayCounts"/>).</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly DateTimeOffset TopListsStart = new(2025, 3, 29, 18, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A store whose log runs on <paramref name="clock"/>, which tells it which days are closed; with <paramref name="fillKeyDaysOnCount"/>
    /// false, its counts leave the day counts to a fill loop (<see cref="IKeyDayCountsStore.FillClosedDaysAsync"/>), as the server's store does.
    /// </summary>
    protected abstract Task<IWitnessStore> OpenStoreAsync(TimeProvider clock, bool fillKeyDaysOnCount = true);

    /// <summary>
    /// An event every 13 minutes for three days from <see cref="TopListsStart"/> (across the change to summer time in
    /// Europe): seven actors by id and two by email only (in mixed case), so that several tie; IPv4 and IPv6
    /// addresses, some events without one; a third of the access type; failures every seventh.
    /// </summary>
    private static async Task<string> AppendTopListDaysAsync(IWitnessStore store, string? tenant = null, int count = 333)
    {
        tenant ??= Submit.Tenant();
        await store.AppendManyAsync(tenant, count, i => Submit.Event(tenant, i % 3 == 0 ? "user.login" : "inbox.update", e =>
        {
            e["occurred_at"] = TopListsStart.AddMinutes(13 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["outcome"] = i % 7 == 0 ? "failure" : "success";
            e["type"] = i % 3 == 0 ? "access" : "activity";
            e["actor"] = (i * 5 % 9) switch
            {
                7 => new JsonObject { ["type"] = "user", ["email"] = "Zoe@Example.com" },
                8 => new JsonObject { ["type"] = "user", ["email"] = "ann@example.com" },
                var n => new JsonObject { ["type"] = "user", ["id"] = n % 2 == 0 ? $"u_{n}" : $"U_{n}" },
            };
            if (i % 11 != 0)
            {
                e["context"] = new JsonObject { ["ip"] = (i % 4) switch { 0 => "2001:db8::7", 1 => "203.0.113.7", 2 => "198.51.100.9", _ => $"10.0.0.{i % 6}" } };
            }
        }));
        return tenant;
    }

    /// <summary>The top lists as a scan of the listed events ranks them: most events first, then by the stored key's bytes.</summary>
    private static void AssertTopListsEqual(IReadOnlyList<StoredEvent> listed, EventCounts counts, int top)
    {
        // An erased email or IP reads [erased] and is kept by no index or count.
        static string? ActorOf(StoredEvent e) => e.Event.Actor.Id ?? (e.Event.Actor.Email is PersonalValues.Erased ? null : e.Event.Actor.Email?.ToLowerInvariant());
        var actors = listed
            .Select(ActorOf)
            .OfType<string>()
            .GroupBy(a => a, StringComparer.Ordinal)
            .Select(g => (Key: Encoding.UTF8.GetBytes(g.Key), Count: new KeyCount(g.Key, g.Count(), listed.Count(e => ActorOf(e) == g.Key && e.Event.Outcome == "failure"))))
            .OrderByDescending(a => a.Count.Events).ThenBy(a => a.Key, ByteOrder.Instance)
            .Take(top).Select(a => a.Count);
        Assert.Equal(actors, counts.Actors);

        var ips = listed
            .Where(e => e.Event.Context?.Ip is not null and not PersonalValues.Erased)
            .GroupBy(e => Convert.ToHexString(IpRange.Key(IPAddress.Parse(e.Event.Context!.Ip!))))
            .Select(g => (Key: Convert.FromHexString(g.Key), Count: new KeyCount(IpKeyText.Of(Convert.FromHexString(g.Key)), g.Count(), g.Count(e => e.Event.Outcome == "failure"))))
            .OrderByDescending(i => i.Count.Events).ThenBy(i => i.Key, ByteOrder.Instance)
            .Take(top).Select(i => i.Count);
        Assert.Equal(ips, counts.Ips);
    }

    private static async Task<EventCounts> AssertTopListsEqualSearchAsync(IWitnessStore store, string tenant, EventFilter filter, int top)
    {
        var listed = new List<StoredEvent>();
        await foreach (var e in store.StreamAsync(tenant, filter, CancellationToken.None))
        {
            listed.Add(e);
        }

        var counts = await ((IEventStatsStore)store).CountAsync(tenant, filter, 3600, top, CancellationToken.None);
        AssertTopListsEqual(listed, counts, top);
        return counts;
    }

    private Task<long> FilledDaysAsync(string tenant) => SqlAsync(tenant, "SELECT count(*) FROM key_count_days WHERE tenant_id = {tenant}");

    private static EventFilter TopListsFilter(string parameters, string from, string to) =>
        CountsFilter(parameters, DateTimeOffset.Parse(from, CultureInfo.InvariantCulture), DateTimeOffset.Parse(to, CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 2)]
    [InlineData("", "2025-03-30T00:00:00Z", "2025-04-01T00:00:00Z", 2)]
    [InlineData("", "2025-03-25T00:00:00Z", "2025-04-05T00:00:00Z", 4)]
    [InlineData("", "2025-03-30T01:00:00Z", "2025-03-30T23:00:00Z", 0)]
    // Local midnights in Rome, before (+01:00) and after (+02:00) the change to summer time on 2025-03-30.
    [InlineData("", "2025-03-29T23:00:00Z", "2025-03-31T22:00:00Z", 1)]
    [InlineData("type=access", "2025-03-29T23:00:00Z", "2025-03-31T22:00:00Z", 1)]
    [InlineData("type=access", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 2)]
    [InlineData("type=activity", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 2)]
    [InlineData("q=-type:access", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 2)]
    [InlineData("type=access", "2025-03-30T01:00:00Z", "2025-03-30T23:00:00Z", 0)]
    [InlineData("action=user.login", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 0)]
    [InlineData("q=type:access outcome:failure", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 0)]
    [InlineData("actor=zoe@example.com", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 0)]
    [InlineData("q=-outcome:failure", "2025-03-29T18:30:00Z", "2025-04-01T12:00:00Z", 0)]
    public async Task Top_actors_and_IPs_of_closed_UTC_days_come_from_day_counts_filled_by_the_first_count_and_equal_the_search(
        string parameters, string from, string to, int days)
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendTopListDaysAsync(store);
        await AppendTopListDaysAsync(store, count: 40);
        var filter = TopListsFilter(parameters, from, to);

        // Appends write none: the first count that needs a day fills it, the next ones read it.
        Assert.Equal(0, await FilledDaysAsync(tenant));
        foreach (var top in new[] { 1, 3, 100, 3 })
        {
            Assert.Equal(days, (await AssertTopListsEqualSearchAsync(store, tenant, filter, top)).TopListDays);
        }

        Assert.Equal(days, await FilledDaysAsync(tenant));
    }

    [Fact]
    public async Task A_store_that_fills_behind_scans_the_days_not_filled_and_the_fill_loop_fills_each_day_once_it_closes()
    {
        // Half an hour into 2025-03-31: 2025-03-29 is closed, 2025-03-30 ended less than the late margin ago.
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 31, 0, 30, 0, TimeSpan.Zero));
        await using var store = await OpenStoreAsync(clock, fillKeyDaysOnCount: false);
        var fill = (IKeyDayCountsStore)store;
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");

        // The count scans the whole range and fills nothing: the loop does.
        Assert.Equal(0, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);
        Assert.Equal(0, await FilledDaysAsync(tenant));
        Assert.Equal(1, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(0, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(1, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 3)).TopListDays);

        // 2025-03-30 closes: the next pass fills it, and only it.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(2, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);

        // A late event makes its day scanned until the next pass fills it again.
        await store.AppendManyAsync(tenant, 150, i => Submit.Event(tenant, "inbox.update", e =>
        {
            e["occurred_at"] = "2025-03-30T12:00:00Z";
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_late" };
        }));
        var scanned = await AssertTopListsEqualSearchAsync(store, tenant, filter, 3);
        Assert.Equal(new KeyCount("u_late", 150, 0), scanned.Actors[0]);
        Assert.Equal(1, scanned.TopListDays);
        Assert.Equal(1, await fill.FillClosedDaysAsync(tenant, 92, CancellationToken.None));
        Assert.Equal(2, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 3)).TopListDays);

        // Only the last days are filled, and a tenant that does not exist has none.
        clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(0, await fill.FillClosedDaysAsync(tenant, 10, CancellationToken.None));
        Assert.Equal(0, await fill.FillClosedDaysAsync(Submit.Tenant(), 92, CancellationToken.None));
        Assert.Equal(2, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);
    }

    [Fact]
    public async Task A_late_event_dated_in_a_filled_day_is_counted_and_its_day_filled_again()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");
        Assert.Equal(4, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);
        var before = await SqlAsync(tenant, "SELECT events FROM key_count_days WHERE tenant_id = {tenant} AND day = 20177"); // 2025-03-30

        await store.AppendManyAsync(tenant, 150, i => Submit.Event(tenant, "inbox.update", e =>
        {
            e["occurred_at"] = "2025-03-30T12:00:00Z";
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_late" };
            e["context"] = new JsonObject { ["ip"] = "192.0.2.55" };
        }));

        var counts = await AssertTopListsEqualSearchAsync(store, tenant, filter, 3);
        Assert.Equal(new KeyCount("u_late", 150, 0), counts.Actors[0]);
        Assert.Equal(new KeyCount("192.0.2.55", 150, 0), counts.Ips[0]);
        Assert.Equal(4, counts.TopListDays);
        Assert.Equal(before + 150, await SqlAsync(tenant, "SELECT events FROM key_count_days WHERE tenant_id = {tenant} AND day = 20177"));
    }

    [Fact]
    public async Task A_day_not_closed_by_the_logs_clock_is_scanned_and_not_filled()
    {
        // An hour and a half into 2025-03-31: 2025-03-30 ended more than the late margin ago, 2025-03-31 is open.
        await using var store = await OpenStoreAsync(new FakeTimeProvider(new DateTimeOffset(2025, 3, 31, 1, 30, 0, TimeSpan.Zero)));
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");

        Assert.Equal(2, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);
        Assert.Equal(2, await FilledDaysAsync(tenant));
        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM key_count_days WHERE tenant_id = {tenant} AND day >= 20178")); // 2025-03-31 on
    }

    [Fact]
    public async Task A_retention_purge_forgets_the_filled_days_of_its_events()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");
        Assert.Equal(4, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).TopListDays);

        // The first 256 events: 2025-03-29 18:00 to 2025-04-01 01:15, so all four days.
        await ((IRetentionStore)store).PurgeAsync(tenant, Submit.Now.AddSeconds(1), RetentionBlocks.BlockSize, CancellationToken.None);

        Assert.Equal(0, await FilledDaysAsync(tenant));
        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM actor_day_counts WHERE tenant_id = {tenant}"));
        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM ip_day_counts WHERE tenant_id = {tenant}"));
        Assert.Equal(0, await IpCountRowsAsync(tenant));
        var counts = await AssertTopListsEqualSearchAsync(store, tenant, filter, 100);
        Assert.Equal(1, counts.TopListDays);
        Assert.Equal(333 - RetentionBlocks.BlockSize, counts.Actors.Sum(a => a.Events));
    }

    [Fact]
    public async Task An_erasure_forgets_the_filled_days_so_no_count_keeps_an_erased_email_or_IP()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendTopListDaysAsync(store);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");
        var before = await AssertTopListsEqualSearchAsync(store, tenant, filter, 100);
        Assert.Contains(before.Actors, a => a.Value == "zoe@example.com");
        Assert.Equal(4, before.TopListDays);
        Assert.True(await IpCountRowsAsync(tenant) > 0);

        var erased = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("zoe@example.com"), CancellationToken.None);

        Assert.True(erased.Events > 0);
        Assert.Equal(0, await FilledDaysAsync(tenant));
        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM actor_day_counts WHERE tenant_id = {tenant}"));
        // The counts by IP of every day are forgotten too: none keeps an erased IP (filled again below without it).
        Assert.Equal(0, await IpCountRowsAsync(tenant));
        var after = await AssertTopListsEqualSearchAsync(store, tenant, filter, 100);
        Assert.DoesNotContain(after.Actors, a => a.Value == "zoe@example.com");
        Assert.Equal(4, after.TopListDays);
        // The erased events' IPs left the counts with them (the lists equal the search's, where they read [erased]).
        Assert.True(after.Ips.Sum(i => i.Events) < before.Ips.Sum(i => i.Events));
        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM actor_day_counts WHERE tenant_id = {tenant} AND actor = 'zoe@example.com'"));
        Assert.Equal(4, await AssertIpCountsEqualSearchAsync(store, tenant, TopListsFilter("ip=203.0.113.0/24", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z")));
    }

    [Fact]
    public async Task A_deleted_tenants_day_counts_are_removed()
    {
        await using var store = await OpenStoreAsync();
        var other = await AppendTopListDaysAsync(store, count: 100);
        var tenant = await AppendTopListDaysAsync(store, count: 200);
        var filter = TopListsFilter("", "2025-03-29T00:00:00Z", "2025-04-02T00:00:00Z");
        await AssertTopListsEqualSearchAsync(store, tenant, filter, 10);
        await AssertTopListsEqualSearchAsync(store, other, filter, 10);

        await ((ITenantStore)store).DeleteTenantAsync(tenant, CancellationToken.None);

        foreach (var table in new[] { "key_count_days", "actor_day_counts", "ip_day_counts", "ip_slot_counts", "ip_action_counts" })
        {
            Assert.Equal(0L, Convert.ToInt64(await ScalarAsync($"SELECT count(*) FROM {table} WHERE tenant_id NOT IN (SELECT id FROM tenants)"), CultureInfo.InvariantCulture));
        }

        await AppendTopListDaysAsync(store, tenant, count: 30);
        Assert.Equal(30, (await AssertTopListsEqualSearchAsync(store, tenant, filter, 100)).Actors.Sum(a => a.Events));
        Assert.True((await AssertTopListsEqualSearchAsync(store, other, filter, 100)).TopListDays > 0);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
