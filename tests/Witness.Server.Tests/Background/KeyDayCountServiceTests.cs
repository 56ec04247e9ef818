using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Witness.Search;
using Witness.Storage;
using Witness.Storage.Sqlite;

namespace Witness.Server.Tests.Background;

/// <summary>
/// The server's fill loop (<see cref="Server.Background.KeyDayCountService"/>): it fills the top lists' day counts of each
/// closed UTC day behind the counts, which read them and equal the events a search lists. On SQLite, whose file the test
/// reads to see the loop's work without asking for a count.
/// </summary>
public sealed class KeyDayCountServiceTests : IAsyncLifetime
{
    // Half an hour into 2024-01-10: 2024-01-08 is closed, 2024-01-09 ended less than the late margin ago.
    private readonly ServerClock _clock = new(new DateTimeOffset(2024, 1, 10, 0, 30, 0, TimeSpan.Zero));
    private RunningServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await RunningServer.StartAsync(o =>
        {
            o.Clock = _clock;
            o.KeyDayFillInterval = TimeSpan.FromMilliseconds(100);
        }, sqliteOnly: true);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_fill_loop_fills_each_day_once_it_closes_and_the_top_lists_read_from_it_equal_the_events_listed()
    {
        var tenant = Some.Tenant();
        using (var client = await _server.ClientForAsync(tenant))
        {
            // An event every half hour over 2024-01-08 and 2024-01-09; four actors and three IPs with different counts.
            await Some.SendManyAsync(client, tenant, 96, i => Some.Event(tenant, change: e =>
            {
                e["occurred_at"] = new DateTimeOffset(2024, 1, 8, 0, 0, 0, TimeSpan.Zero).AddMinutes(30 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                e["outcome"] = i % 5 == 0 ? "failure" : "success";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = i < 40 ? "u_a" : i < 70 ? "u_b" : i < 90 ? "u_c" : "u_d" };
                e["context"] = new JsonObject { ["ip"] = i < 50 ? "203.0.113.1" : i < 80 ? "203.0.113.2" : "203.0.113.3" };
            }));
        }

        var filter = EventFilterBinder.FromParameters(_ => null, TimeZoneInfo.Utc) with
        {
            From = new DateTimeOffset(2024, 1, 7, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2024, 1, 11, 0, 0, 0, TimeSpan.Zero),
        };

        // No count was asked for: the loop fills the closed day on its own, and not the open one.
        await FilledDaysAsync(tenant, 1);
        var counts = await AssertTopListsEqualSearchAsync(tenant, filter);
        Assert.Equal(1, counts.TopListDays);

        // 2024-01-09 closes an hour later; the loop's next pass fills it.
        _clock.Advance(TimeSpan.FromHours(1));
        await FilledDaysAsync(tenant, 2);
        counts = await AssertTopListsEqualSearchAsync(tenant, filter);
        Assert.Equal(2, counts.TopListDays);
        Assert.Equal(new KeyCount("u_a", 40, 8), counts.Actors[0]);
        Assert.Equal(new KeyCount("203.0.113.1", 50, 10), counts.Ips[0]);
    }

    /// <summary>Waits (a minute at most, under load) until the loop has filled <paramref name="days"/> days of the tenant.</summary>
    private async Task FilledDaysAsync(string tenant, long days)
    {
        await using var connection = new SqliteConnection($"Data Source={SqliteStoreOptions.InFolder(_server.DataDirectory).DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM key_count_days WHERE tenant_id = (SELECT id FROM tenants WHERE name = $tenant)";
        command.Parameters.AddWithValue("$tenant", tenant);
        long filled = 0;
        for (var i = 0; i < 600 && filled < days; i++)
        {
            filled = (long)(await command.ExecuteScalarAsync())!;
            if (filled < days)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(days, filled);
    }

    /// <summary>The top lists of a count equal those of the events a search lists: most events first, then by value.</summary>
    private async Task<EventCounts> AssertTopListsEqualSearchAsync(string tenant, EventFilter filter)
    {
        var listed = new List<StoredEvent>();
        await foreach (var e in _server.Store.StreamAsync(tenant, filter, CancellationToken.None))
        {
            listed.Add(e);
        }

        var counts = await ((IEventStatsStore)_server.Store).CountAsync(tenant, filter, 3600, 10, CancellationToken.None);
        Assert.Equal(
            listed.GroupBy(e => e.Event.Actor.Id!, StringComparer.Ordinal)
                .Select(g => new KeyCount(g.Key, g.Count(), g.Count(e => e.Event.Outcome == "failure")))
                .OrderByDescending(k => k.Events).ThenBy(k => k.Value, StringComparer.Ordinal),
            counts.Actors);
        Assert.Equal(
            listed.GroupBy(e => e.Event.Context!.Ip!, StringComparer.Ordinal)
                .Select(g => new KeyCount(g.Key, g.Count(), g.Count(e => e.Event.Outcome == "failure")))
                .OrderByDescending(k => k.Events).ThenBy(k => k.Value, StringComparer.Ordinal),
            counts.Ips);
        return counts;
    }
}
