using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Access;
using Witness.Server.Tests.Catalog;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>
/// <c>GET /v1/events/stats</c> over HTTP, for a tenant in Europe/Rome with events every 20 minutes
/// over the weekend of 27 October 2024 (the Sunday has 25 hours there).
/// </summary>
public sealed class EventStatsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset First = new(2024, 10, 25, 22, 0, 0, TimeSpan.Zero);
    private RunningServer _server = null!;
    private HttpClient _client = null!;
    private string _tenant = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _tenant = Some.Tenant();
        _client = await _server.ClientForAsync(_tenant);
        Assert.Equal(HttpStatusCode.OK, (await _client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["time_zone"] = "Europe/Rome" }))).StatusCode);
        string[] actions = ["inbox.create", "user.login", "team.delete"];
        await Some.SendManyAsync(_client, _tenant, 216, i => Some.Event(_tenant, actions[i % 3], e =>
        {
            e["occurred_at"] = First.AddMinutes(20 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["outcome"] = i % 7 == 0 ? "failure" : "success";
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 4}", ["email"] = $"user{i % 4}@example.com" };
            e["context"] = new JsonObject { ["ip"] = $"203.0.113.{i % 5}" };
        }));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("&action=user.login")]
    [InlineData("&outcome=failure")]
    [InlineData("&actor=user3@example.com")]
    [InlineData("&q=-actor:u_1%20ip:203.0.113.0/30")]
    public async Task Bucket_and_summary_counts_equal_what_GET_v1_events_lists_with_the_same_filters(string filters)
    {
        var range = "from=2024-10-26&to=2024-10-28";
        var listed = await ListAsync($"{range}{filters}");
        var stats = await StatsAsync($"{range}{filters}&bucket=day");
        var hourly = await StatsAsync($"{range}{filters}");

        Assert.Equal("hour", hourly.GetProperty("bucket").GetString());
        Assert.Equal(24 + 25 + 24, hourly.GetProperty("buckets").GetArrayLength());
        Assert.Equal("Europe/Rome", stats.GetProperty("time_zone").GetString());
        Assert.Equal(listed.Count, stats.GetProperty("events").GetInt64());
        Assert.Equal(listed.Count(e => e.Failed), stats.GetProperty("failures").GetInt64());
        foreach (var response in new[] { stats, hourly })
        {
            foreach (var bucket in response.GetProperty("buckets").EnumerateArray())
            {
                var start = DateTimeOffset.Parse(bucket.GetProperty("start").GetString()!, CultureInfo.InvariantCulture);
                var end = DateTimeOffset.Parse(bucket.GetProperty("end").GetString()!, CultureInfo.InvariantCulture);
                var inside = listed.Where(e => e.At >= start && e.At < end).ToList();
                Assert.Equal(inside.Count, bucket.GetProperty("events").GetInt64());
                Assert.Equal(inside.Count(e => e.Failed), bucket.GetProperty("failures").GetInt64());
            }
        }

        // The Rome days: Saturday from 22:00 UTC on the 25th, Sunday 25 hours long.
        Assert.Equal(
            ["2024-10-25T22:00:00.000000Z", "2024-10-26T22:00:00.000000Z", "2024-10-27T23:00:00.000000Z"],
            stats.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("start").GetString()));
        foreach (var (list, key) in new[] { ("top_actors", "actor"), ("top_actions", "action"), ("top_ips", "ip") }.Where(k => !filters.Contains($"&{k.Item2}=", StringComparison.Ordinal)))
        {
            foreach (var entry in stats.GetProperty(list).EnumerateArray())
            {
                var value = entry.GetProperty("value").GetString()!;
                var narrowed = await ListAsync($"{range}{filters}&{key}={Uri.EscapeDataString(value)}");
                Assert.Equal(narrowed.Count, entry.GetProperty("events").GetInt64());
                Assert.Equal(narrowed.Count(e => e.Failed), entry.GetProperty("failures").GetInt64());
            }
        }
    }

    [Theory]
    [InlineData("bucket=year", "bucket")]
    [InlineData("top=101", "top")]
    [InlineData("limit=5", "limit")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2024-01-01&to=2024-06-01&bucket=minute", "bucket")]
    [InlineData("q=created:", "q")]
    public async Task A_bad_parameter_is_a_problem_naming_it(string query, string field)
    {
        var response = await _client.GetAsync($"/v1/events/stats?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], await response.ProblemFieldsAsync());
    }

    [Fact]
    public async Task A_key_of_one_tenant_cannot_count_another_and_a_key_without_events_read_cannot_count()
    {
        using var other = await _server.ClientForAsync(Some.Tenant());
        using var writer = await _server.ClientForAsync(_tenant, Scopes.EventsWrite);

        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/v1/events/stats?tenant={_tenant}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync("/v1/events/stats")).StatusCode);
        var own = await (await other.GetAsync("/v1/events/stats")).JsonAsync();
        Assert.Equal(0, own.GetProperty("events").GetInt64());
    }

    private async Task<JsonElement> StatsAsync(string query)
    {
        var response = await _client.GetAsync($"/v1/events/stats?{query}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private async Task<List<(DateTimeOffset At, bool Failed)>> ListAsync(string query)
    {
        var found = new List<(DateTimeOffset, bool)>();
        string? cursor = null;
        do
        {
            var response = await _client.GetAsync($"/v1/events?{query}&limit=1000{(cursor is null ? "" : $"&cursor={cursor}")}");
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var page = await response.JsonAsync();
            found.AddRange(page.GetProperty("events").EnumerateArray()
                .Where(e => e.GetProperty("action").GetString() != "audit_log.view")
                .Select(e => (DateTimeOffset.Parse(e.GetProperty("occurred_at").GetString()!, CultureInfo.InvariantCulture), e.GetProperty("outcome").GetString() == "failure")));
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return found;
    }
}
