using System.Globalization;
using System.Text.Json.Nodes;
using Witness.Search;
using Witness.Stats;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    private static readonly TimeZoneInfo Rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");

    /// <summary>
    /// Events every 20 minutes over the two Rome weekends of 2024 whose Sundays change the clocks
    /// (31 March: 23 hours, 27 October: 25 hours), with five actors (one known only by email, and
    /// system events without one), three IPs, two targets, failures every seventh event. The description's
    /// "quarterly audit" is in every third run of 64 events (one free-text block of each three), "deskN" in every block.
    /// </summary>
    private static async Task<string> AppendDstWeekendsAsync(IWitnessStore store)
    {
        var tenant = Submit.Tenant();
        var times = new[] { new DateTimeOffset(2024, 3, 29, 22, 0, 0, TimeSpan.Zero), new DateTimeOffset(2024, 10, 25, 22, 0, 0, TimeSpan.Zero) }
            .SelectMany(start => Enumerable.Range(0, 72 * 3).Select(i => start.AddMinutes(20 * i)))
            .ToList();
        string[] actions = ["inbox.create", "inbox.update", "user.login", "team.delete"];
        await store.AppendManyAsync(tenant, times.Count, i => Submit.Event(tenant, actions[i % 4], e =>
        {
            e["occurred_at"] = times[i].ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["type"] = i % 4 == 2 ? "access" : "activity";
            e["outcome"] = i % 7 == 0 ? "failure" : "success";
            e["actor"] = (i % 5) switch
            {
                4 => new JsonObject { ["type"] = "system" },
                3 => new JsonObject { ["type"] = "user", ["email"] = "Solo@Example.com" },
                var a => new JsonObject { ["type"] = "user", ["id"] = $"u_{a}", ["email"] = $"user{a}@example.com" },
            };
            e["context"] = new JsonObject { ["ip"] = (i % 3) switch { 0 => "203.0.113.7", 1 => "198.51.100.9", _ => "2001:db8::7" } };
            e["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = i % 2 == 0 ? "24725" : "24726" });
            e["description"] = $"{(i / 64 % 3 == 0 ? "Quarterly audit" : "Routine change")} at desk{i % 5}";
        }));
        return tenant;
    }

    [Theory]
    [InlineData("")]
    [InlineData("action=inbox.*")]
    [InlineData("outcome=failure")]
    [InlineData("actor=u_1")]
    [InlineData("actor=user2@example.com")]
    [InlineData("actor=solo@example.com")]
    [InlineData("target=inbox:24725")]
    [InlineData("ip=198.51.100.0/24")]
    [InlineData("type=access")]
    [InlineData("q=-actor:u_0 -outcome:failure")]
    [InlineData("q=target:24726 action:user.login")]
    [InlineData("q=target:24725 -actor:u_2 -outcome:failure")]
    [InlineData("ip=203.0.113.7")]
    [InlineData("ip=2001:db8::7")]
    [InlineData("q=ip:203.0.113.0/24 -outcome:failure")]
    [InlineData("q=ip:198.51.100.9 target:24726")]
    [InlineData("q=action:inbox.* -ip:198.51.100.9")]
    [InlineData("q=(type:access OR ip:2001:db8::/32) -category:Teams")]
    [InlineData("ip=2001:db8::/32")]
    [InlineData("q=ip:203.0.113.7 -ip:203.0.113.7")]
    [InlineData("q=ip:203.0.113.7 type:access")]
    [InlineData("q=ip:203.0.113.0/25 -type:access")]
    [InlineData("q=ip:2001:db8::/120 type:activity")]
    [InlineData("q=ip:198.51.100.0/24 (type:access OR ip:2001:db8::7)")]
    [InlineData("q=quarterly")]
    [InlineData("q=\"quarterly audit\"")]
    [InlineData("q=desk3")]
    [InlineData("q=quarterly OR desk4")]
    [InlineData("q=\"audit at desk2\" OR \"change at desk1\"")]
    [InlineData("q=desk3 action:user.login")]
    [InlineData("q=quarterly action:inbox.update -outcome:failure")]
    [InlineData("q=quarterly -desk1")]
    [InlineData("q=quarterly ip:203.0.113.0/24")]
    [InlineData("q=desk2 actor:u_2")]
    [InlineData("q=desk2 target:24725")]
    [InlineData("q=zzzzzz")]
    [InlineData("q=k3")]
    public async Task Counts_per_day_and_hour_in_the_tenants_zone_equal_what_a_search_with_the_same_filter_lists(string parameters)
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendDstWeekendsAsync(store);
        var service = new EventStatsService(store, TimeProvider.System);
        foreach (var (from, to) in new[] { ("2024-03-30", "2024-04-01"), ("2024-10-26", "2024-10-28") })
        {
            var query = $"{parameters}&from={from}&to={to}".Split('&', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(p => p.Split('=', 2)[0], p => p.Split('=', 2)[1]);
            var filter = EventFilterBinder.FromParameters(name => query.GetValueOrDefault(name), Rome);
            var listed = new List<StoredEvent>();
            await foreach (var e in store.StreamAsync(tenant, filter, CancellationToken.None))
            {
                listed.Add(e);
            }

            var byDay = await service.CountAsync(tenant, filter, Rome, StatsBucket.Day, 50, CancellationToken.None);
            var byHour = await service.CountAsync(tenant, filter, Rome, StatsBucket.Hour, 50, CancellationToken.None);

            // Three local days, each bar from local midnight to local midnight: 24 hours, and 23 or 25 on the Sunday.
            Assert.Equal(3, byDay.Bars.Count);
            Assert.Equal(from.EndsWith("03-30", StringComparison.Ordinal) ? [24, 23, 24] : new[] { 24, 25, 24 }, byDay.Bars.Select(b => (int)(b.End - b.Start).TotalHours));
            Assert.Equal(byDay.Bars.Sum(b => (b.End - b.Start).TotalHours), byHour.Bars.Count);
            Assert.All(byHour.Bars, b => Assert.Equal(TimeSpan.FromHours(1), b.End - b.Start));
            var expectedDays = byDay.Bars.Select(b => listed.Where(e => LocalDay(e.Event.OccurredAt) == LocalDay(b.Start)).ToList()).ToList();
            Assert.Equal(expectedDays.Select(d => d.Count), byDay.Bars.Select(b => (int)b.Events));
            Assert.Equal(expectedDays.Select(d => d.Count(e => e.Event.Outcome == "failure")), byDay.Bars.Select(b => (int)b.Failures));
            Assert.Equal(byHour.Bars.Select(b => listed.Count(e => e.Event.OccurredAt >= b.Start && e.Event.OccurredAt < b.End)), byHour.Bars.Select(b => (int)b.Events));
            Assert.Equal(listed.Count, byHour.Events);
            // The first count filled the range's two whole UTC days; an IP filter's histogram reads them from the counts by IP.
            Assert.Equal(IpSlotCounts.Serve(filter, 900) ? 2 : 0, (await ((IEventStatsStore)store).CountAsync(tenant, filter, 900, 0, CancellationToken.None)).IpDays);

            Assert.Equal(Tally(listed, e => e.Type), byDay.Types.Select(k => (k.Value, k.Events, k.Failures)));
            Assert.Equal(Tally(listed, e => e.Action), byDay.Actions.Select(k => (k.Value, k.Events, k.Failures)));
            Assert.Equal(Tally(listed, e => e.Actor.Id ?? e.Actor.Email?.ToLowerInvariant()), byDay.Actors.Select(k => (k.Value, k.Events, k.Failures)));
            // Ties among IPs are ordered by the stored 16-byte key, not by the text.
            Assert.Equal(Tally(listed, e => e.Context?.Ip).OrderBy(k => k.Value, StringComparer.Ordinal), byDay.Ips.Select(k => (k.Value, k.Events, k.Failures)).OrderBy(k => k.Value, StringComparer.Ordinal));
            Assert.Equal(byDay.Ips.Select(k => k.Events).OrderDescending(), byDay.Ips.Select(k => k.Events));
            Assert.Equal(
                Tally(listed, e => e.Action).Where(a => a.Failures > 0).OrderByDescending(a => a.Failures).ThenBy(a => a.Value, StringComparer.Ordinal),
                byDay.FailedActions.Select(k => (k.Value, k.Events, k.Failures)));
        }
    }

    [Fact]
    public async Task Counts_of_a_tenant_leave_out_other_tenants_and_an_unknown_tenant_counts_nothing()
    {
        await using var store = await OpenStoreAsync();
        var tenant = await AppendDstWeekendsAsync(store);
        var other = await AppendDstWeekendsAsync(store);
        var service = new EventStatsService(store, TimeProvider.System);
        var filter = new EventFilter { From = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) };

        var counted = await service.CountAsync(tenant, filter, Rome, null, 5, CancellationToken.None);
        var nothing = await service.CountAsync(Submit.Tenant(), filter, Rome, null, 5, CancellationToken.None);

        Assert.Equal(StatsBucket.Week, counted.Bucket);
        Assert.Equal(2 * 72 * 3, counted.Events);
        Assert.Equal(4, counted.Actors.Count);
        Assert.Equal(0, nothing.Events);
        Assert.Empty(nothing.Actors);
        Assert.NotEmpty(other);
    }

    private static DateOnly LocalDay(DateTimeOffset time) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, Rome).DateTime);

    private static List<(string Value, long Events, long Failures)> Tally(IEnumerable<StoredEvent> events, Func<Witness.Events.AuditEvent, string?> key) =>
    [
        .. events.Select(e => (Key: key(e.Event), Failed: e.Event.Outcome == "failure"))
            .Where(e => e.Key is not null)
            .GroupBy(e => e.Key!, StringComparer.Ordinal)
            .Select(g => (g.Key, (long)g.Count(), (long)g.Count(e => e.Failed)))
            .OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal),
    ];
}
