using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

public sealed class StreamsApiTests
{
    private static JsonObject HttpStream(string url) => new() { ["name"] = "siem", ["kind"] = "http", ["url"] = url, ["format"] = "ocsf" };

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_stream_is_created_read_paused_resumed_changed_and_deleted_within_its_tenant(string storeKind)
    {
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync(o => o.WebhookAllowedHosts.Add("127.0.0.1"));
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        using var other = await server.ClientForAsync(Some.Tenant());
        using var reader = await server.ClientForAsync(tenant, "events:read");
        await Some.SendManyAsync(client, tenant, 3);

        var created = await client.PostAsync("/v1/streams", Some.Json(HttpStream("http://127.0.0.1:9/never")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var stream = await created.JsonAsync();
        var id = stream.GetProperty("id").GetString()!;
        Assert.StartsWith("whsec_", stream.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal("ocsf", stream.GetProperty("format").GetString());
        // Without a backfill a stream starts with the events that arrive from now on: the first is its own stream.create.
        Assert.Equal(3, stream.GetProperty("status").GetProperty("delivered_seq").GetInt64());
        Assert.Equal(1, stream.GetProperty("status").GetProperty("lag_events").GetInt64());

        var read = await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync();
        Assert.False(read.TryGetProperty("secret", out _));
        Assert.Equal([id], (await (await client.GetAsync("/v1/streams")).JsonAsync()).GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var paused = await (await client.PostAsync($"/v1/streams/{id}/pause", null)).JsonAsync();
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.Equal("paused", paused.GetProperty("status").GetProperty("state").GetString());
        await Some.SendManyAsync(client, tenant, 2);
        var lagging = await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync();
        // The two events, and the stream's own stream.create and stream.pause.
        Assert.Equal(4, lagging.GetProperty("status").GetProperty("lag_events").GetInt64());
        Assert.True(lagging.GetProperty("status").GetProperty("lag_seconds").GetDouble() >= 0);
        var resumed = await (await client.PostAsync($"/v1/streams/{id}/resume", null)).JsonAsync();
        Assert.False(resumed.GetProperty("paused").GetBoolean());

        var changed = await client.PutAsync($"/v1/streams/{id}", Some.Json(new JsonObject
        {
            ["name"] = "renamed", ["url"] = "http://127.0.0.1:9/other", ["format"] = "cef", ["types"] = new JsonArray("access"), ["query"] = "outcome:failure",
        }));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var body = await changed.JsonAsync();
        Assert.Equal("renamed", body.GetProperty("name").GetString());
        Assert.Equal("http", body.GetProperty("kind").GetString());
        Assert.Equal(["access"], body.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(3, body.GetProperty("status").GetProperty("delivered_seq").GetInt64());

        // Other tenants and keys without the admin scope see nothing of it.
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/streams/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/v1/streams/{id}")).StatusCode);
        Assert.Empty((await (await other.GetAsync("/v1/streams")).JsonAsync()).GetProperty("streams").EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/v1/streams")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/streams/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/streams/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Every_wrong_field_is_named_and_nothing_is_saved(string storeKind)
    {
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);

        var response = await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "",
            ["kind"] = "syslog",
            ["url"] = "udp://siem.example.com:514",
            ["format"] = "leef",
            ["token"] = "abc",
            ["pinned_sha256"] = "12",
            ["types"] = new JsonArray("activity", "audit"),
            ["categories"] = "Inboxes",
            ["query"] = "actor:",
            ["start_seq"] = 0,
            ["colour"] = "red",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var fields = (await response.JsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToHashSet();
        Assert.Empty(new[] { "colour", "name", "url", "format", "token", "pinned_sha256", "types[1]", "categories", "query", "start_seq" }.Except(fields));

        var missing = await client.PostAsync("/v1/streams", Some.Json(new JsonObject { ["name"] = "hec", ["kind"] = "splunk_hec", ["url"] = "https://hec.example.com" }));
        Assert.Contains("token", (await missing.JsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        var both = await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "s", ["kind"] = "http", ["url"] = "https://siem.example.com/in", ["start_seq"] = 1, ["start_time"] = "2026-01-01T00:00:00Z",
        }));
        Assert.Contains("start_time", (await both.JsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        Assert.Empty((await (await client.GetAsync("/v1/streams")).JsonAsync()).GetProperty("streams").EnumerateArray());
        // A refused stream is not recorded either.
        Assert.Equal(0, (await (await client.GetAsync("/v1/events?action=stream.create")).JsonAsync()).GetProperty("events").GetArrayLength());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_test_event_reaches_the_destination_and_an_unreachable_one_answers_502_with_the_error(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync(o => o.WebhookAllowedHosts.Add("127.0.0.1"));
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        // Only access events, so the stream.create events of these streams are not delivered: the receiver gets the test event alone.
        var goodStream = HttpStream(new Uri(receiver.Address, "/in").ToString());
        goodStream["types"] = new JsonArray("access");
        var good = await (await client.PostAsync("/v1/streams", Some.Json(goodStream))).JsonAsync();
        var bad = await (await client.PostAsync("/v1/streams", Some.Json(HttpStream($"http://127.0.0.1:{StreamTestSupport.ClosedPort()}/in")))).JsonAsync();
        var refused = await (await client.PostAsync("/v1/streams", Some.Json(HttpStream("http://10.1.2.3/in")))).JsonAsync();

        var ok = await client.PostAsync($"/v1/streams/{good.GetProperty("id").GetString()}/test", null);
        var failed = await client.PostAsync($"/v1/streams/{bad.GetProperty("id").GetString()}/test", null);
        var guarded = await client.PostAsync($"/v1/streams/{refused.GetProperty("id").GetString()}/test", null);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var request = Assert.Single(receiver.Requests);
        var record = JsonDocument.Parse(StreamTestSupport.Gunzip(request.Body)).RootElement;
        Assert.Equal("stream.test", record.GetProperty("unmapped").GetProperty("action").GetString());
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Contains("refused", (await failed.JsonAsync()).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.BadGateway, guarded.StatusCode);
        Assert.Contains("10.1.2.3", (await guarded.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The tenant's events of <paramref name="action"/>, oldest first, as the API shows them.</summary>
    private static async Task<List<JsonElement>> EventsAsync(HttpClient client, string action)
    {
        var page = await (await client.GetAsync($"/v1/events?action={action}&limit=1000")).JsonAsync();
        return [.. page.GetProperty("events").EnumerateArray().Reverse()];
    }

    private static JsonElement Changes(JsonElement e, string side) => e.GetProperty("changes").GetProperty(side);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Creating_changing_pausing_resuming_and_deleting_a_stream_are_recorded_in_the_tenants_log_and_its_secrets_never_are(string storeKind)
    {
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync(o => o.WebhookAllowedHosts.Add("127.0.0.1"));
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var first = "whsec_" + Convert.ToBase64String("first stream secret, 32 bytes..."u8);
        var second = "whsec_" + Convert.ToBase64String("second stream secret, 32 bytes.."u8);
        const string token = "hec-token-never-recorded-7f3a";

        var created = await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "siem", ["kind"] = "http", ["url"] = "http://127.0.0.1:9/a", ["secret"] = first, ["types"] = new JsonArray("access"),
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/v1/streams/{id}", Some.Json(new JsonObject
        {
            ["name"] = "renamed", ["url"] = "http://127.0.0.1:9/b", ["secret"] = second, ["types"] = new JsonArray("access"),
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/v1/streams/{id}", Some.Json(new JsonObject
        {
            ["name"] = "renamed", ["url"] = "http://127.0.0.1:9/b", ["format"] = "cef", ["types"] = new JsonArray("access"),
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/streams/{id}/pause", null)).StatusCode);
        // Pausing a paused stream changes nothing and records nothing.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/streams/{id}/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/streams/{id}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/streams/{id}")).StatusCode);
        var hec = await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "splunk", ["kind"] = "splunk_hec", ["url"] = "https://hec.example.com", ["token"] = token, ["start_seq"] = 1,
        }));
        Assert.Equal(HttpStatusCode.Created, hec.StatusCode);

        var creates = await EventsAsync(client, "stream.create");
        Assert.Equal(2, creates.Count);
        var create = creates[0];
        Assert.Equal("log_stream", create.GetProperty("targets")[0].GetProperty("type").GetString());
        Assert.Equal(id, create.GetProperty("targets")[0].GetProperty("id").GetString());
        Assert.Equal("Created log stream siem", create.GetProperty("description").GetString());
        Assert.Equal("api_key", create.GetProperty("actor").GetProperty("type").GetString());
        Assert.Equal("http://127.0.0.1:9/a", Changes(create, "after").GetProperty("url").GetString());
        Assert.Equal("http", Changes(create, "after").GetProperty("kind").GetString());
        Assert.Equal(["access"], Changes(create, "after").GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.False(create.GetProperty("changes").TryGetProperty("before", out _));
        // Without a backfill the stream starts after the events before it; with start_seq 1 from the first.
        Assert.Equal(create.GetProperty("seq").GetInt64(), create.GetProperty("metadata").GetProperty("start_seq").GetInt64());
        Assert.Equal(1, creates[1].GetProperty("metadata").GetProperty("start_seq").GetInt64());

        var updates = await EventsAsync(client, "stream.update");
        Assert.Equal(2, updates.Count);
        Assert.Equal("http://127.0.0.1:9/a", Changes(updates[0], "before").GetProperty("url").GetString());
        Assert.Equal("http://127.0.0.1:9/b", Changes(updates[0], "after").GetProperty("url").GetString());
        Assert.True(updates[0].GetProperty("metadata").GetProperty("secret_replaced").GetBoolean());
        Assert.False(updates[1].GetProperty("metadata").GetProperty("secret_replaced").GetBoolean());
        Assert.Equal("witness", Changes(updates[1], "before").GetProperty("format").GetString());
        Assert.Equal("cef", Changes(updates[1], "after").GetProperty("format").GetString());

        var pause = Assert.Single(await EventsAsync(client, "stream.pause"));
        Assert.False(Changes(pause, "before").GetProperty("paused").GetBoolean());
        Assert.True(Changes(pause, "after").GetProperty("paused").GetBoolean());
        Assert.Equal("Paused log stream renamed", pause.GetProperty("description").GetString());
        var resume = Assert.Single(await EventsAsync(client, "stream.resume"));
        Assert.False(Changes(resume, "after").GetProperty("paused").GetBoolean());
        var deleted = Assert.Single(await EventsAsync(client, "stream.delete"));
        Assert.Equal("renamed", Changes(deleted, "before").GetProperty("name").GetString());
        Assert.False(deleted.GetProperty("changes").TryGetProperty("after", out _));

        var everything = await (await client.GetAsync("/v1/events?limit=1000")).Content.ReadAsStringAsync();
        var export = await (await client.GetAsync("/v1/events/export?format=ndjson")).Content.ReadAsStringAsync();
        Assert.Contains("stream.delete", export, StringComparison.Ordinal);
        foreach (var secret in new[] { first["whsec_".Length..], second["whsec_".Length..], token })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, export, StringComparison.Ordinal);
        }
    }
}
