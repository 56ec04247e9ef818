using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

public sealed class StreamsApiTests
{
    private static JsonObject HttpStream(string url) => new() { ["name"] = "siem", ["kind"] = "http", ["url"] = url, ["format"] = "ocsf" };

    [Fact]
    public async Task A_stream_is_created_read_paused_resumed_changed_and_deleted_within_its_tenant()
    {
        await using var server = await RunningServer.StartAsync(o => o.WebhookAllowedHosts.Add("127.0.0.1"));
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
        // Without a backfill a stream starts with the events that arrive from now on.
        Assert.Equal(3, stream.GetProperty("status").GetProperty("delivered_seq").GetInt64());
        Assert.Equal(0, stream.GetProperty("status").GetProperty("lag_events").GetInt64());

        var read = await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync();
        Assert.False(read.TryGetProperty("secret", out _));
        Assert.Equal([id], (await (await client.GetAsync("/v1/streams")).JsonAsync()).GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var paused = await (await client.PostAsync($"/v1/streams/{id}/pause", null)).JsonAsync();
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.Equal("paused", paused.GetProperty("status").GetProperty("state").GetString());
        await Some.SendManyAsync(client, tenant, 2);
        var lagging = await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync();
        Assert.Equal(2, lagging.GetProperty("status").GetProperty("lag_events").GetInt64());
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

    [Fact]
    public async Task Every_wrong_field_is_named_and_nothing_is_saved()
    {
        await using var server = await RunningServer.StartAsync();
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
    }

    [Fact]
    public async Task The_test_event_reaches_the_destination_and_an_unreachable_one_answers_502_with_the_error()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RunningServer.StartAsync(o => o.WebhookAllowedHosts.Add("127.0.0.1"));
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var good = await (await client.PostAsync("/v1/streams", Some.Json(HttpStream(new Uri(receiver.Address, "/in").ToString())))).JsonAsync();
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
}
