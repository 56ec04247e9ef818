using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Access;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

public sealed class IngestTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_accepted_event_is_found_with_every_field_and_the_servers_additions()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync(Some.Event(tenant, change: e => e["id"] = "evt-1"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ack = (await response.JsonAsync()).GetProperty("events")[0];
        Assert.Equal("evt-1", ack.GetProperty("id").GetString());
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());

        var stored = await (await client.GetAsync("/v1/events/evt-1")).JsonAsync();
        Assert.Equal(tenant, stored.GetProperty("tenant").GetString());
        Assert.Equal("inbox.create", stored.GetProperty("action").GetString());
        Assert.Equal("Ada Admin", stored.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("Milan", stored.GetProperty("context").GetProperty("location").GetProperty("city").GetString());
        Assert.Equal("Help desk", stored.GetProperty("changes").GetProperty("after").GetProperty("name").GetString());
        Assert.Equal(ack.GetProperty("hash").GetString(), stored.GetProperty("hash").GetString());
        Assert.True(stored.TryGetProperty("received_at", out _));
    }

    [Fact]
    public async Task A_missing_actor_is_stored_as_system_and_a_missing_type_as_activity()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync(new JsonObject { ["id"] = "sys-1", ["action"] = "backup.run" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var stored = await (await client.GetAsync("/v1/events/sys-1")).JsonAsync();
        Assert.Equal("system", stored.GetProperty("actor").GetProperty("type").GetString());
        Assert.Equal("activity", stored.GetProperty("type").GetString());
        Assert.Equal("success", stored.GetProperty("outcome").GetString());
        Assert.Equal(tenant, stored.GetProperty("tenant").GetString());
    }

    public static TheoryData<string, string> InvalidEvents => new()
    {
        { """{"category":"Inboxes"}""", "action" },
        { """{"action":"Inbox.Create"}""", "action" },
        { $$"""{"action":"{{new string('a', 129)}}"}""", "action" },
        { """{"action":"a","tenant":"bad tenant!"}""", "tenant" },
        { """{"action":"a","type":"audit"}""", "type" },
        { """{"action":"a","outcome":"maybe"}""", "outcome" },
        { """{"action":"a","occurred_at":"22/06/2023"}""", "occurred_at" },
        { """{"action":"a","occurred_at":"2023-06-22T15:06:00"}""", "occurred_at" },
        { """{"action":"a","occurred_at":"2999-01-01T00:00:00Z"}""", "occurred_at" },
        { """{"action":"a","actor":{"type":"robot"}}""", "actor.type" },
        { """{"action":"a","actor":{"email":"not-an-email"}}""", "actor.email" },
        { """{"action":"a","targets":[{"type":"inbox"}]}""", "targets[0].id" },
        { """{"action":"a","targets":[{"type":"inbox","id":"1","url":"javascript:alert(1)"}]}""", "targets[0].url" },
        { """{"action":"a","context":{"ip":"999.1.1.1"}}""", "context.ip" },
        { """{"action":"a","metadata":[1,2]}""", "metadata" },
        { """{"action":"a","changes":{"before":"x"}}""", "changes.before" },
        { """{"action":"a","actr":{"id":"x"}}""", "actr" },
        { $$"""{"action":"a","id":"{{new string('i', 129)}}"}""", "id" },
        { """not json""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task An_invalid_event_is_rejected_with_a_problem_naming_the_field(string body, string field)
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/events", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
        Assert.Contains(field, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_batch_with_one_bad_event_is_rejected_whole_naming_its_index_and_stores_nothing()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var events = Enumerable.Range(0, 10).Select(_ => Some.Event()).ToList();
        events[7]["actor"]!["email"] = "nope";
        var response = await client.PostAsync(Some.Batch(events));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal("events[7].actor.email", problem.GetProperty("errors")[0].GetProperty("field").GetString());
        var page = await (await client.GetAsync("/v1/events")).JsonAsync();
        Assert.DoesNotContain(page.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "inbox.create");
    }

    [Fact]
    public async Task Batch_and_event_size_limits_are_enforced_with_clear_errors()
    {
        using var client = await _server.ClientForAsync(Some.Tenant());
        var tooMany = await client.PostAsync(Some.Batch(Enumerable.Range(0, 1001).Select(_ => new JsonObject { ["action"] = "a" })));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 1000", (await tooMany.JsonAsync()).GetProperty("detail").GetString());

        var big = await client.PostAsync(Some.Event(change: e => e["description"] = null).Also(e => e["metadata"] = new JsonObject { ["blob"] = new string('x', 70_000) }));
        Assert.Equal(HttpStatusCode.BadRequest, big.StatusCode);
        Assert.Contains("64", (await big.JsonAsync()).GetProperty("detail").GetString());

        var huge = new string('x', 9 * 1024 * 1024);
        // Expect: 100-continue lets the server refuse before the client sends 9 MiB it would not read.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new StringContent($$"""{"action":"a","description":"{{huge}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        var tooLarge = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
    }

    [Fact]
    public async Task A_repeated_id_with_the_same_body_answers_200_in_the_same_shape_and_another_body_409()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var first = Some.Event(change: e => { e["id"] = "same-1"; e.Remove("occurred_at"); });
        var created = await client.PostAsync(first);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ack = (await created.JsonAsync()).GetProperty("events")[0];
        Assert.Equal("created", ack.GetProperty("status").GetString());

        var again = await client.PostAsync(JsonNode.Parse(first.ToJsonString())!);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var replay = (await again.JsonAsync()).GetProperty("events")[0];
        Assert.Equal("same-1", replay.GetProperty("id").GetString());
        Assert.Equal(ack.GetProperty("seq").GetInt64(), replay.GetProperty("seq").GetInt64());
        Assert.Equal(ack.GetProperty("hash").GetString(), replay.GetProperty("hash").GetString());
        Assert.Equal("existing", replay.GetProperty("status").GetString());

        var other = Some.Event(change: e => { e["id"] = "same-1"; e["action"] = "inbox.delete"; });
        var conflict = await client.PostAsync(other);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("id", (await conflict.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        var page = await (await client.GetAsync("/v1/events?action=inbox.*")).JsonAsync();
        Assert.Single(page.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task A_partly_repeated_batch_answers_201_with_the_status_of_each_event_in_the_order_sent()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var old = Some.Event(change: e => { e["id"] = "old-1"; e.Remove("occurred_at"); });
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(JsonNode.Parse(old.ToJsonString())!)).StatusCode);

        var fresh = Some.Event(change: e => { e["id"] = "new-1"; e.Remove("occurred_at"); });
        var response = await client.PostAsync(Some.Batch([(JsonObject)fresh.DeepClone(), (JsonObject)old.DeepClone()]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var events = (await response.JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["new-1", "old-1"], events.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(["created", "existing"], events.Select(e => e.GetProperty("status").GetString()));
        Assert.Equal([2L, 1L], events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(events, e => Assert.Equal(4, e.EnumerateObject().Count()));

        var repeated = await client.PostAsync(Some.Batch([fresh, old]));
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        Assert.Equal(["existing", "existing"], (await repeated.JsonAsync()).GetProperty("events").EnumerateArray().Select(e => e.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_batch_conflicting_on_one_id_stores_none_of_its_events()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event(change: e => e["id"] = "taken"))).StatusCode);

        var batch = Some.Batch([Some.Event(change: e => e["id"] = "fresh-1"), Some.Event(change: e => { e["id"] = "taken"; e["action"] = "team.delete"; })]);
        var response = await client.PostAsync(batch);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("events[1].id", (await response.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/events/fresh-1")).StatusCode);
    }

    [Fact]
    public async Task Concurrent_requests_get_gap_free_seqs_and_the_log_verifies()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var seqs = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var events = Enumerable.Range(0, 1 + (i % 7)).Select(_ => Some.Event()).ToList();
            var response = await client.PostAsync(Some.Batch(events));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            foreach (var e in (await response.JsonAsync()).GetProperty("events").EnumerateArray())
            {
                seqs.Add(e.GetProperty("seq").GetInt64());
            }
        });

        var sorted = seqs.Order().ToList();
        Assert.Equal(Enumerable.Range(1, sorted.Count).Select(i => (long)i), sorted);
        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.Equal(sorted.Count, verify.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task A_tenant_bound_key_can_neither_write_nor_read_another_tenant()
    {
        var mine = Some.Tenant();
        var theirs = Some.Tenant();
        using var me = await _server.ClientForAsync(mine);
        using var them = await _server.ClientForAsync(theirs);
        Assert.Equal(HttpStatusCode.Created, (await them.PostAsync(Some.Event(change: e => e["id"] = "secret-1"))).StatusCode);

        var write = await me.PostAsync(Some.Event(theirs));
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);
        Assert.Equal("tenant", (await write.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await me.GetAsync($"/v1/events?tenant={theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await me.GetAsync("/v1/events/secret-1")).StatusCode);
        var page = await (await me.GetAsync("/v1/events")).JsonAsync();
        Assert.DoesNotContain(page.GetProperty("events").EnumerateArray(), e => e.GetProperty("tenant").GetString() == theirs);
    }

    [Fact]
    public async Task A_global_key_writes_any_tenant_and_must_name_the_tenant_it_reads()
    {
        var tenant = Some.Tenant();
        using var global = _server.Client(await _server.CreateKeyAsync(null, Scopes.EventsWrite, Scopes.EventsRead));
        Assert.Equal(HttpStatusCode.Created, (await global.PostAsync(Some.Event(tenant))).StatusCode);

        var unnamed = await global.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Equal("tenant", (await unnamed.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        var named = await (await global.GetAsync($"/v1/events?tenant={tenant}&action=inbox.create")).JsonAsync();
        Assert.Single(named.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task No_key_is_401_a_bad_key_is_401_and_a_missing_scope_is_403()
    {
        var tenant = Some.Tenant();
        using var anonymous = _server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(Some.Event(tenant))).StatusCode);

        using var forged = _server.Client("wk_AAAAAAAAAAAA_" + new string('A', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync($"/v1/events?tenant={tenant}")).StatusCode);

        using var writer = _server.Client(await _server.CreateKeyAsync(tenant, Scopes.EventsWrite));
        var forbidden = await writer.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);

        using var reader = _server.Client(await _server.CreateKeyAsync(tenant, Scopes.EventsRead));
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync(Some.Event())).StatusCode);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject node, Action<JsonObject> change)
    {
        change(node);
        return node;
    }
}
