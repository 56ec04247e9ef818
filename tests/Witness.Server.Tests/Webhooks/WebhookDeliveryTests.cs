using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Retention;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Webhooks;

public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static Task<RunningServer> StartServerAsync(Action<WitnessServerOptions>? configure = null, string? dataDirectory = null) =>
        RunningServer.StartAsync(o =>
        {
            o.WebhookAllowedHosts.Add("127.0.0.1");
            o.WebhookRetryDelay = TimeSpan.FromMilliseconds(20);
            o.WebhookMaxRetryDelay = TimeSpan.FromMilliseconds(100);
            o.WebhookMaxAttempts = 4;
            configure?.Invoke(o);
        }, dataDirectory);

    /// <summary>A webhook for alerts at the receiver, and a rule that fires on <c>secret.delete</c>.</summary>
    private async Task<string> SubscribeAsync(HttpClient client, string? url = null)
    {
        var created = await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = url ?? new Uri(_receiver.Address, "/hooks/witness").ToString(),
            ["secret"] = Secret,
            ["event_types"] = new JsonArray("alert.fired"),
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rule = await client.PostAsync("/v1/alerts/rules", Some.Json(new JsonObject { ["name"] = "Secret deleted", ["kind"] = "match", ["query"] = "action:secret.delete" }));
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        return (await created.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> FinishedDeliveryAsync(HttpClient client, string webhook) =>
        await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var list = await (await client.GetAsync($"/v1/webhooks/{webhook}/deliveries")).JsonAsync();
            var done = list.GetProperty("deliveries").EnumerateArray().Where(d => d.GetProperty("status").GetString() != "pending").ToList();
            return done.Count > 0 ? done[0] : null;
        }, "a finished delivery");

    [Fact]
    public async Task A_delivery_is_signed_as_standard_webhooks_over_the_exact_body()
    {
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var webhook = await SubscribeAsync(client);
        await client.PostAsync(Some.Event(tenant, "secret.delete", e => e["id"] = "del-7"));

        await _receiver.WaitForAsync(1);
        var request = _receiver.Requests[0];
        var id = request.Headers["webhook-id"];
        var timestamp = request.Headers["webhook-timestamp"];
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.Body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        Assert.Contains(expected, request.Headers["webhook-signature"].Split(' '));
        Assert.StartsWith("msg_", id);
        Assert.InRange(long.Parse(timestamp, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());

        var payload = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("alert.fired", payload.GetProperty("type").GetString());
        Assert.Equal("Secret deleted", payload.GetProperty("data").GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("del-7", payload.GetProperty("data").GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("alert.fired", payload.GetProperty("data").GetProperty("alert").GetProperty("action").GetString());

        var delivery = await FinishedDeliveryAsync(client, webhook);
        Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(id, delivery.GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task Failed_attempts_are_retried_until_the_receiver_accepts()
    {
        _receiver.Respond = n => n < 2 ? 503 : 200;
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var webhook = await SubscribeAsync(client);
        await client.PostAsync(Some.Event(tenant, "secret.delete"));

        await _receiver.WaitForAsync(3);
        var delivery = await FinishedDeliveryAsync(client, webhook);
        Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Single(_receiver.Requests.Select(r => r.Headers["webhook-id"]).Distinct());
        Assert.Empty(await RetentionTests.SearchAsync(client, "type:webhook_failure"));
    }

    [Fact]
    public async Task A_delivery_that_finally_fails_is_recorded_as_a_webhook_failure_and_can_be_redelivered()
    {
        _receiver.Respond = _ => 500;
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var webhook = await SubscribeAsync(client);
        await client.PostAsync(Some.Event(tenant, "secret.delete"));

        var failure = await Eventually.GetValueAsync(async () => (await RetentionTests.SearchAsync(client, "type:webhook_failure")).Cast<JsonElement?>().FirstOrDefault(), "the webhook_failure event");
        var metadata = failure.GetProperty("metadata");
        Assert.Equal(new Uri(_receiver.Address, "/hooks/witness").ToString(), metadata.GetProperty("endpoint").GetString());
        Assert.Equal(500, metadata.GetProperty("status").GetInt32());
        Assert.Equal(4, metadata.GetProperty("attempts").GetInt32());
        Assert.Contains("500", metadata.GetProperty("last_error").GetString());
        Assert.Equal("webhook.delivery_failed", failure.GetProperty("action").GetString());
        Assert.Equal("failure", failure.GetProperty("outcome").GetString());
        Assert.Equal(4, _receiver.Requests.Count);

        var failed = await FinishedDeliveryAsync(client, webhook);
        Assert.Equal("failed", failed.GetProperty("status").GetString());

        // The failure is searchable by its endpoint, as the Webhook failures tab does.
        Assert.Single(await RetentionTests.SearchAsync(client, $"type:webhook_failure \"{_receiver.Address.Authority}\""));

        _receiver.Respond = _ => 200;
        var redeliver = await client.PostAsync($"/v1/webhooks/{webhook}/deliveries/{failed.GetProperty("id").GetString()}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await _receiver.WaitForAsync(5);
        Assert.Equal(_receiver.Requests[0].Headers["webhook-id"], _receiver.Requests[4].Headers["webhook-id"]);
        var again = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var list = await (await client.GetAsync($"/v1/webhooks/{webhook}/deliveries")).JsonAsync();
            return list.GetProperty("deliveries").EnumerateArray().FirstOrDefault(d => d.GetProperty("status").GetString() == "succeeded") is { ValueKind: JsonValueKind.Object } d ? d : null;
        }, "the redelivery");
        Assert.Equal(failed.GetProperty("message_id").GetString(), again.GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task A_pending_delivery_survives_a_restart()
    {
        _receiver.Respond = n => n == 0 ? 503 : 200;
        var data = TempFolder.Create("witness-restart");
        try
        {
            var first = await StartServerAsync(o => o.WebhookRetryDelay = o.WebhookMaxRetryDelay = TimeSpan.FromHours(1), data);
            var tenant = Some.Tenant();
            string key;
            try
            {
                key = await first.CreateKeyAsync(tenant);
                using var client = first.Client(key);
                var subscribed = await SubscribeAsync(client);
                await client.PostAsync(Some.Event(tenant, "secret.delete"));
                await _receiver.WaitForAsync(1);
                await Eventually.GetValueAsync<JsonElement>(async () =>
                {
                    var list = await (await client.GetAsync($"/v1/webhooks/{subscribed}/deliveries")).JsonAsync();
                    return list.GetProperty("deliveries").EnumerateArray().FirstOrDefault(d => d.GetProperty("attempts").GetInt32() == 1) is { ValueKind: JsonValueKind.Object } d ? d : null;
                }, "the failed first attempt to be saved");
            }
            finally
            {
                await first.StopKeepingDataAsync();
            }

            Assert.Single(_receiver.Requests);

            await using var second = await StartServerAsync(dataDirectory: data);
            await _receiver.WaitForAsync(2);
            Assert.Equal(_receiver.Requests[0].Headers["webhook-id"], _receiver.Requests[1].Headers["webhook-id"]);
            using var after = second.Client(key);
            var webhook = (await (await after.GetAsync("/v1/webhooks")).JsonAsync()).GetProperty("webhooks")[0].GetProperty("id").GetString()!;
            var delivery = await FinishedDeliveryAsync(after, webhook);
            Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
            Assert.Equal(2, delivery.GetProperty("attempts").GetInt32());
            Assert.Single(await RetentionTests.SearchAsync(after, "action:alert.fired"));
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    [Fact]
    public async Task A_webhook_to_a_loopback_address_that_is_not_allowed_is_refused_and_recorded()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await SubscribeAsync(client);
        await client.PostAsync(Some.Event(tenant, "secret.delete"));

        var failure = await Eventually.GetValueAsync(async () => (await RetentionTests.SearchAsync(client, "type:webhook_failure")).Cast<JsonElement?>().FirstOrDefault(), "the refusal");
        Assert.Contains("not a public address", failure.GetProperty("metadata").GetProperty("last_error").GetString());
        Assert.Equal(1, failure.GetProperty("metadata").GetProperty("attempts").GetInt32());
        Assert.Empty(_receiver.Requests);
    }

    [Fact]
    public async Task Each_new_checkpoint_is_pushed_to_webhooks_subscribed_to_checkpoints()
    {
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = new Uri(_receiver.Address, "/hooks/checkpoints").ToString(), ["event_types"] = new JsonArray("checkpoint"),
        }));
        await Some.SendManyAsync(client, tenant, 3);
        var checkpoint = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();

        await _receiver.WaitForAsync(1);
        var payload = JsonDocument.Parse(_receiver.Requests[0].Body).RootElement;
        Assert.Equal("checkpoint", payload.GetProperty("type").GetString());
        Assert.Equal(checkpoint.GetProperty("size").GetInt64(), payload.GetProperty("data").GetProperty("size").GetInt64());
        Assert.Equal(checkpoint.GetProperty("note").GetString(), payload.GetProperty("data").GetProperty("note").GetString());
    }

    [Fact]
    public async Task Webhooks_are_managed_per_tenant_and_the_secret_is_shown_once()
    {
        await using var server = await StartServerAsync();
        using var client = await server.ClientForAsync(Some.Tenant());
        using var other = await server.ClientForAsync(Some.Tenant());
        var created = await (await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = "https://hooks.example.com/witness",
            ["event_types"] = new JsonArray("alert.fired", "checkpoint"),
        }))).JsonAsync();
        Assert.StartsWith("whsec_", created.GetProperty("secret").GetString());
        var id = created.GetProperty("id").GetString()!;

        var shown = await (await client.GetAsync($"/v1/webhooks/{id}")).JsonAsync();
        Assert.False(shown.TryGetProperty("secret", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/webhooks/{id}/deliveries")).StatusCode);

        var replaced = await (await client.PutAsync($"/v1/webhooks/{id}", Some.Json(new JsonObject
        {
            ["url"] = "https://hooks.example.com/v2", ["event_types"] = new JsonArray("checkpoint"), ["enabled"] = false,
        }))).JsonAsync();
        Assert.False(replaced.GetProperty("enabled").GetBoolean());
        Assert.False(replaced.TryGetProperty("secret", out _));

        var bad = await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject { ["url"] = "ftp://x", ["event_types"] = new JsonArray("nope"), ["secret"] = "hunter2" }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var fields = (await bad.JsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Equal(["url", "secret", "event_types[0]"], fields);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
        Assert.Empty((await (await client.GetAsync("/v1/webhooks")).JsonAsync()).GetProperty("webhooks").EnumerateArray());
    }
}
