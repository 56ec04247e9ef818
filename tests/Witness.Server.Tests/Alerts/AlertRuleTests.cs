using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Retention;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Alerts;

public sealed class AlertRuleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<string> CreateRuleAsync(HttpClient client, JsonObject rule)
    {
        var response = await client.PostAsync("/v1/alerts/rules", Some.Json(rule));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static JsonObject Login(string tenant, string actor, int minute, string outcome = "failure", string ip = "203.0.113.7", string country = "IT") =>
        Some.Event(tenant, "user.login", e =>
        {
            e["category"] = "Authentication";
            e["type"] = "access";
            e["outcome"] = outcome;
            e["occurred_at"] = Start.AddMinutes(minute).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = actor, ["name"] = actor };
            e["context"] = new JsonObject { ["ip"] = ip, ["location"] = new JsonObject { ["country"] = country } };
            e.Remove("targets");
            e.Remove("changes");
        });

    /// <summary>
    /// Sends a sentinel that a match rule fires on and waits for that alert: rules are evaluated in
    /// log order, so every event sent before it has been evaluated too. Returns the alerts so far.
    /// </summary>
    private static async Task<List<JsonElement>> AlertsAfterEverythingEvaluatedAsync(HttpClient client, string tenant, string sentinelRule)
    {
        var sentinel = Some.Event(tenant, "test.sentinel", e => e["id"] = "sentinel-" + Guid.NewGuid().ToString("N"));
        await client.PostAsync(sentinel);
        await Eventually.GetAsync(async () =>
        {
            var alerts = await RetentionTests.SearchAsync(client, $"action:alert.fired target:event:{sentinel["id"]}");
            return alerts.Count > 0 ? alerts : null;
        }, "the sentinel's alert");
        return [.. (await RetentionTests.SearchAsync(client, "action:alert.fired")).Where(a => RuleOf(a) != sentinelRule)];
    }

    private static string RuleOf(JsonElement alert) => alert.GetProperty("targets")[0].GetProperty("id").GetString()!;

    private static Task<string> SentinelRuleAsync(HttpClient client) =>
        CreateRuleAsync(client, new JsonObject { ["name"] = "sentinel", ["kind"] = "match", ["query"] = "action:test.sentinel" });

    [Fact]
    public async Task Threshold_fires_on_the_fifth_failed_login_of_one_actor_within_ten_minutes_and_not_otherwise()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sentinel = await SentinelRuleAsync(client);
        var rule = await CreateRuleAsync(client, new JsonObject
        {
            ["name"] = "Brute force", ["kind"] = "threshold", ["query"] = "action:user.login outcome:failure",
            ["threshold"] = 5, ["window_minutes"] = 10, ["group_by"] = "actor",
        });

        // Four failures of one actor, five of another spread over 20 minutes, successes that do not count.
        await client.PostAsync(Some.Batch([
            .. Enumerable.Range(0, 4).Select(i => Login(tenant, "u_ada", i)),
            .. Enumerable.Range(0, 5).Select(i => Login(tenant, "u_bob", i * 5)),
            .. Enumerable.Range(0, 3).Select(i => Login(tenant, "u_ada", 4, outcome: "success")),
        ]));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));

        await client.PostAsync(Login(tenant, "u_ada", 6));
        var fired = Assert.Single(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal(rule, RuleOf(fired));
        Assert.Equal("Alert rule Brute force fired", fired.GetProperty("description").GetString());
        Assert.Equal("u_ada", fired.GetProperty("metadata").GetProperty("group").GetString());
        Assert.Equal(5, fired.GetProperty("metadata").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Threshold_grouped_by_ip_counts_every_actor_from_that_address()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sentinel = await SentinelRuleAsync(client);
        await CreateRuleAsync(client, new JsonObject
        {
            ["name"] = "Spray", ["kind"] = "threshold", ["query"] = "action:user.login outcome:failure",
            ["threshold"] = 3, ["window_minutes"] = 10, ["group_by"] = "ip",
        });
        await client.PostAsync(Some.Batch([Login(tenant, "u_1", 0, ip: "198.51.100.1"), Login(tenant, "u_2", 1, ip: "198.51.100.1"), Login(tenant, "u_3", 2, ip: "198.51.100.2")]));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));

        await client.PostAsync(Login(tenant, "u_4", 3, ip: "198.51.100.1"));
        var fired = Assert.Single(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal("198.51.100.1", fired.GetProperty("metadata").GetProperty("group").GetString());
    }

    [Fact]
    public async Task First_seen_fires_when_a_known_actor_comes_from_a_new_ip_and_not_for_known_ips_or_new_actors()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Login(tenant, "u_ada", 0, outcome: "success", ip: "203.0.113.7"));
        var sentinel = await SentinelRuleAsync(client);
        var rule = await CreateRuleAsync(client, new JsonObject { ["name"] = "New IP", ["kind"] = "first_seen", ["query"] = "action:user.login", ["dimension"] = "ip" });

        await client.PostAsync(Some.Batch([
            Login(tenant, "u_ada", 1, outcome: "success", ip: "203.0.113.7"),
            Login(tenant, "u_new", 2, outcome: "success", ip: "198.51.100.10"),
            Login(tenant, "u_new", 3, outcome: "success", ip: "198.51.100.10"),
        ]));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));

        await client.PostAsync(Login(tenant, "u_ada", 4, outcome: "success", ip: "198.51.100.9"));
        await client.PostAsync(Login(tenant, "u_ada", 5, outcome: "success", ip: "198.51.100.9"));
        var fired = Assert.Single(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal(rule, RuleOf(fired));
        Assert.Equal("198.51.100.9", fired.GetProperty("metadata").GetProperty("value").GetString());
        Assert.Equal("u_ada", fired.GetProperty("metadata").GetProperty("actor").GetString());
    }

    [Fact]
    public async Task First_seen_by_country_fires_for_a_new_country_only()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sentinel = await SentinelRuleAsync(client);
        await CreateRuleAsync(client, new JsonObject { ["name"] = "New country", ["kind"] = "first_seen", ["dimension"] = "country" });
        await client.PostAsync(Login(tenant, "u_ada", 0, ip: "203.0.113.7", country: "IT"));
        await client.PostAsync(Login(tenant, "u_ada", 1, ip: "203.0.113.8", country: "IT"));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));

        await client.PostAsync(Login(tenant, "u_ada", 2, ip: "203.0.113.8", country: "BR"));
        var fired = Assert.Single(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal("BR", fired.GetProperty("metadata").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Match_fires_for_each_matching_event_and_not_for_others()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sentinel = await SentinelRuleAsync(client);
        var rule = await CreateRuleAsync(client, new JsonObject { ["name"] = "Secret deleted", ["kind"] = "match", ["query"] = "action:secret.delete -actor:u_bot" });
        await client.PostAsync(Some.Batch([
            Some.Event(tenant, "secret.create"),
            Some.Event(tenant, "secret.delete", e => e["actor"] = new JsonObject { ["type"] = "service", ["id"] = "u_bot" }),
        ]));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));

        await client.PostAsync(Some.Event(tenant, "secret.delete", e => e["id"] = "del-1"));
        var fired = Assert.Single(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal(rule, RuleOf(fired));
        Assert.Equal("del-1", fired.GetProperty("targets")[1].GetProperty("id").GetString());
        Assert.Equal("del-1", fired.GetProperty("metadata").GetProperty("trigger_event_id").GetString());
    }

    [Fact]
    public async Task A_disabled_or_deleted_rule_does_not_fire()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sentinel = await SentinelRuleAsync(client);
        var disabled = await CreateRuleAsync(client, new JsonObject { ["name"] = "off", ["kind"] = "match", ["query"] = "action:secret.delete", ["enabled"] = false });
        var deleted = await CreateRuleAsync(client, new JsonObject { ["name"] = "gone", ["kind"] = "match", ["query"] = "action:secret.delete" });
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/alerts/rules/{deleted}")).StatusCode);
        await client.PostAsync(Some.Event(tenant, "secret.delete"));
        Assert.Empty(await AlertsAfterEverythingEvaluatedAsync(client, tenant, sentinel));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/alerts/rules/{disabled}")).StatusCode);
    }

    [Fact]
    public async Task Rules_are_listed_replaced_and_deleted_per_tenant()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        using var other = await _server.ClientForAsync(Some.Tenant());
        var id = await CreateRuleAsync(client, new JsonObject { ["name"] = "Role to admin", ["kind"] = "match", ["query"] = "action:agent.role.change Administrator" });

        var list = await (await client.GetAsync("/v1/alerts/rules")).JsonAsync();
        Assert.Equal(id, list.GetProperty("rules")[0].GetProperty("id").GetString());
        Assert.Empty((await (await other.GetAsync("/v1/alerts/rules")).JsonAsync()).GetProperty("rules").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/alerts/rules/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/v1/alerts/rules/{id}")).StatusCode);

        var replaced = await client.PutAsync($"/v1/alerts/rules/{id}", Some.Json(new JsonObject
        {
            ["name"] = "Five failures", ["kind"] = "threshold", ["query"] = "outcome:failure", ["threshold"] = 5, ["window_minutes"] = 10,
        }));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var rule = await (await client.GetAsync($"/v1/alerts/rules/{id}")).JsonAsync();
        Assert.Equal("threshold", rule.GetProperty("kind").GetString());
        Assert.Equal("actor", rule.GetProperty("group_by").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/alerts/rules/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/alerts/rules/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"x","kind":"threshold","query":"outcome:failure","window_minutes":10}""", "threshold")]
    [InlineData("""{"name":"x","kind":"threshold","threshold":5,"window_minutes":0}""", "window_minutes")]
    [InlineData("""{"name":"x","kind":"match","query":"actor:"}""", "query")]
    [InlineData("""{"name":"x","kind":"match"}""", "query")]
    [InlineData("""{"name":"x","kind":"sometimes"}""", "kind")]
    [InlineData("""{"kind":"match","query":"action:a.b"}""", "name")]
    [InlineData("""{"name":"x","kind":"first_seen","dimension":"city"}""", "dimension")]
    [InlineData("""{"name":"x","kind":"match","query":"action:a.b","threshold":3}""", "threshold")]
    [InlineData("""{"name":"x","kind":"match","query":"action:a.b","colour":"red"}""", "colour")]
    public async Task A_bad_rule_is_refused_naming_the_field(string body, string field)
    {
        using var client = await _server.ClientForAsync(Some.Tenant());
        var response = await client.PostAsync("/v1/alerts/rules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
        Assert.Empty((await (await client.GetAsync("/v1/alerts/rules")).JsonAsync()).GetProperty("rules").EnumerateArray());
    }

    [Fact]
    public async Task Alert_rules_need_the_admin_scope()
    {
        using var reader = await _server.ClientForAsync(Some.Tenant(), "events:read", "events:write");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/v1/alerts/rules")).StatusCode);
    }
}
