using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>Search over one tenant seeded with a small, known set of events.</summary>
public sealed class SearchTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _client = await _server.ClientForAsync(Some.Tenant());
        JsonObject E(string id, string action, string day, Action<JsonObject>? change = null) =>
            Some.Event(action: action, change: e =>
            {
                e["id"] = id;
                e["occurred_at"] = $"{day}T12:00:00Z";
                change?.Invoke(e);
            });

        var events = new[]
        {
            E("a1", "inbox.create", "2023-06-01", e => e["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = "24725", ["name"] = "Support" })),
            E("a2", "inbox.update", "2023-06-10", e => e["actor"]!["email"] = "Other@Example.com"),
            E("a3", "user.login", "2023-06-15", e => { e["type"] = "access"; e["category"] = "Authentication"; e["outcome"] = "failure"; e["reason"] = "Wrong password"; }),
            E("a4", "user.login", "2023-06-20", e => { e["type"] = "access"; e["category"] = "Authentication"; e["context"]!["ip"] = "198.51.100.9"; }),
            E("a5", "team.delete", "2023-07-02", e => { e["category"] = "Teams"; e["description"] = "Removed the Night Shift team"; e.Remove("actor"); }),
            E("a6", "webhook.delivery_failed", "2023-07-03", e => { e["type"] = "webhook_failure"; e["outcome"] = "failure"; e["context"]!["ip"] = "2001:db8::7"; }),
        };
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync(Some.Batch(events))).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<string[]> IdsAsync(string query)
    {
        var response = await _client.GetAsync($"/v1/events?{query}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var page = await response.JsonAsync();
        return [.. page.GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("id").GetString()!)
            .Where(id => id.StartsWith('a'))];
    }

    [Theory]
    [InlineData("", "a6 a5 a4 a3 a2 a1")]
    [InlineData("action=user.login", "a4 a3")]
    [InlineData("action=inbox.*", "a2 a1")]
    [InlineData("category=teams", "a5")]
    [InlineData("type=access", "a4 a3")]
    [InlineData("outcome=failure", "a6 a3")]
    [InlineData("actor=other@example.com", "a2")]
    [InlineData("actor=u_17", "a6 a4 a3 a2 a1")]
    [InlineData("target=inbox:24725", "a1")]
    [InlineData("target=24725", "a1")]
    [InlineData("ip=198.51.100.0/24", "a4")]
    [InlineData("ip=2001:db8::/32", "a6")]
    [InlineData("from=2023-06-10&to=2023-06-20", "a4 a3 a2")]
    [InlineData("q=action:user.login outcome:failure", "a3")]
    [InlineData("q=-action:user.login type:access", "")]
    [InlineData("q=\"night shift\"", "a5")]
    [InlineData("q=created:2023-06-01..2023-06-10", "a2 a1")]
    [InlineData("q=created:>=2023-07-01", "a6 a5")]
    [InlineData("q=wrong password", "a3")]
    [InlineData("type=access&q=-outcome:failure", "a4")]
    [InlineData("q=action:user.login OR category:teams", "a5 a4 a3")]
    [InlineData("q=\"night shift\" OR \"wrong password\"", "a5 a3")]
    [InlineData("q=(night OR wrong) -outcome:failure", "a5")]
    public async Task Every_filter_finds_exactly_the_matching_events_newest_first(string query, string expected)
    {
        var ids = await IdsAsync(query.Replace(" ", "%20").Replace("\"", "%22"));
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), ids);
    }

    [Theory]
    [InlineData("q=actr:bob", "q", "actr")]
    [InlineData("q=ip:10.0.0.0/99", "q", "ip:10.0.0.0/99")]
    [InlineData("from=yesterday", "from", "from")]
    [InlineData("limit=0", "limit", "limit")]
    [InlineData("limit=1001", "limit", "limit")]
    [InlineData("cursor=garbage!!", "cursor", "cursor")]
    [InlineData("acter=bob", "acter", "acter")]
    [InlineData("q=(night", "q", "'(' without ')'")]
    [InlineData("q=night OR", "q", "'OR' needs a term on each side")]
    public async Task A_term_it_cannot_parse_is_an_error_naming_it_never_a_match_all(string query, string field, string named)
    {
        var response = await _client.GetAsync($"/v1/events?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Contains(named, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Paging_by_cursor_is_stable_while_events_keep_arriving()
    {
        var seen = new List<string>();
        string? cursor = null;
        var page = 0;
        do
        {
            var body = await (await _client.GetAsync($"/v1/events?limit=2&q=-action:audit_log.view{(cursor is null ? "" : $"&cursor={cursor}")}")).JsonAsync();
            seen.AddRange(body.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            cursor = body.GetProperty("next_cursor").GetString();

            // Newer events arrive between pages; they must neither shift nor repeat what is being paged.
            await _client.PostAsync(Some.Event(change: e => { e["id"] = $"late-{page}"; e["occurred_at"] = "2024-01-01T00:00:00Z"; }));
            page++;
        }
        while (cursor is not null);

        Assert.Equal(["a6", "a5", "a4", "a3", "a2", "a1"], seen);
    }

    [Fact]
    public async Task Reading_the_list_is_recorded_once_per_key_per_ten_minutes()
    {
        await _client.GetAsync("/v1/events");
        await _client.GetAsync("/v1/events");
        var views = await (await _client.GetAsync("/v1/events?action=audit_log.view")).JsonAsync();
        var view = Assert.Single(views.GetProperty("events").EnumerateArray());
        Assert.Equal("access", view.GetProperty("type").GetString());
        Assert.Equal("api_key", view.GetProperty("actor").GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_unknown_id_is_a_404_problem()
    {
        var response = await _client.GetAsync("/v1/events/no-such-event");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
