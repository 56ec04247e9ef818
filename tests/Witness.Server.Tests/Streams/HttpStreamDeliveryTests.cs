using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

public sealed class HttpStreamDeliveryTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static Task<RunningServer> StartServerAsync(StreamTestStore store, string? dataDirectory = null) =>
        store.StartServerAsync(o =>
        {
            o.WebhookAllowedHosts.Add("127.0.0.1");
            o.Streams.BatchSize = 250;
            o.Streams.PollInterval = TimeSpan.FromMilliseconds(200);
            o.Streams.LeaseDuration = TimeSpan.FromSeconds(3);
            o.Streams.RetryDelay = TimeSpan.FromMilliseconds(50);
            o.Streams.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            o.Streams.FailureThreshold = TimeSpan.FromMilliseconds(500);
        }, dataDirectory);

    /// <summary>The seqs of the NDJSON records a receiver got, in arrival order, after checking each request's Standard Webhooks signature.</summary>
    private static List<JsonElement> Records(WebhookReceiver receiver, Func<int, bool>? accepted = null)
    {
        var records = new List<JsonElement>();
        var requests = receiver.Requests;
        for (var i = 0; i < requests.Count; i++)
        {
            if (accepted is not null && !accepted(i))
            {
                continue;
            }

            var r = requests[i];
            var id = r.Headers["webhook-id"];
            var timestamp = r.Headers["webhook-timestamp"];
            var key = Convert.FromBase64String(Secret["whsec_".Length..]);
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. r.Body]));
            Assert.Equal(expected, r.Headers["webhook-signature"]);
            Assert.Equal("gzip", r.Headers["content-encoding"]);
            foreach (var line in Encoding.UTF8.GetString(StreamTestSupport.Gunzip(r.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                records.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return records;
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_http_stream_backfills_every_event_in_seq_order_signed_and_resumes_after_the_receiver_failed_without_losing_one(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        var failing = false;
        var failedRequests = new HashSet<int>();
        receiver.Respond = i =>
        {
            if (Volatile.Read(ref failing))
            {
                lock (failedRequests)
                {
                    failedRequests.Add(i);
                }

                return 503;
            }

            return 204;
        };
        await using var server = await StartServerAsync(store);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 1000);

        var created = await (await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "siem", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/ingest").ToString(), ["secret"] = Secret, ["start_seq"] = 1,
        }))).JsonAsync();
        var id = created.GetProperty("id").GetString()!;
        await Eventually.GetAsync(async () => Records(receiver).Count >= 1000 ? "" : null, "the backfill");

        Volatile.Write(ref failing, true);
        await Some.SendManyAsync(client, tenant, 500);
        var failingStatus = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("state").GetString() == "failing" ? status : null;
        }, "the failing state");
        Assert.Contains("503", failingStatus.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.True(failingStatus.GetProperty("lag_events").GetInt64() > 0);
        // Failing past the threshold is recorded once in the tenant's log.
        var failure = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var events = (await (await client.GetAsync("/v1/events?type=integration_failure")).JsonAsync()).GetProperty("events");
            return events.GetArrayLength() > 0 ? events[0] : null;
        }, "the integration_failure event");
        Assert.Equal("stream.delivery_failing", failure.GetProperty("action").GetString());
        Assert.Equal(id, failure.GetProperty("targets")[0].GetProperty("id").GetString());

        Volatile.Write(ref failing, false);
        var delivered = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("state").GetString() == "delivering" && status.GetProperty("lag_events").GetInt64() == 0 ? status : null;
        }, "the stream to catch up");
        // 1,500 sent, the integration_failure event, and the audit_log.view the test's own reads recorded.
        var through = delivered.GetProperty("delivered_seq").GetInt64();
        Assert.True(through >= 1501, $"delivered through {through}");

        // Every event, in seq order, as the API shows it (with seq and hash). Delivery is at least once (SPEC §4): a batch the
        // worker could not record as delivered (a lease renewal late on a loaded machine) is sent again, so a seq may come
        // twice, but never after a gap, and every seq from 1 to the delivered one arrives.
        var records = Records(receiver, i => !failedRequests.Contains(i));
        var highest = 0L;
        foreach (var seq in records.Select(r => r.GetProperty("seq").GetInt64()))
        {
            Assert.True(seq >= 1 && seq <= highest + 1, $"seq {seq} arrived after seq {highest} without the ones between");
            highest = Math.Max(highest, seq);
        }

        Assert.True(highest >= through, $"records reach seq {highest}, delivered through {through}");
        var first = records.DistinctBy(r => r.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(highest, first.Count);
        var shown = await (await client.GetAsync($"/v1/events/{first[1200].GetProperty("id").GetString()}")).Content.ReadAsStringAsync();
        Assert.Equal(shown, first[1200].GetRawText());
        Assert.Contains(records, r => r.GetProperty("action").GetString() == "stream.delivery_failing");
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_stream_started_from_a_time_delivers_the_events_received_since_and_keeps_only_what_its_filters_let_through(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await StartServerAsync(store);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 20);
        await Task.Delay(1100);
        var since = DateTimeOffset.UtcNow;
        await Task.Delay(1100);
        await Some.SendManyAsync(client, tenant, 30, i => Some.Event(tenant, i % 3 == 0 ? "user.login_failed" : "inbox.create", e =>
        {
            if (i % 3 == 0)
            {
                e["outcome"] = "failure";
                e["category"] = "Authentication";
            }
        }));

        var created = await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "failures", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/in").ToString(), ["secret"] = Secret,
            ["start_time"] = since.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["categories"] = new JsonArray("Authentication"), ["query"] = "outcome:failure",
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal(20, (await created.JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64());
        // The cursor also moves over the stream's own stream.create (seq 51), which its filters leave out.
        await Eventually.GetAsync(async () =>
            (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64() == 51 ? "" : null, "the cursor at 51");

        var seqs = Records(receiver).Select(r => r.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 21L + (i * 3)), seqs);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_splunk_hec_stream_posts_events_with_the_token_and_the_cursor_survives_a_restart(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        var folder = TempFolder.Create("witness-streams");
        try
        {
            string id;
            string tenant = Some.Tenant();
            await using (var server = await StartServerAsync(store, folder))
            {
                using var client = await server.ClientForAsync(tenant);
                await Some.SendManyAsync(client, tenant, 40);
                id = (await (await client.PostAsync("/v1/streams", Some.Json(new JsonObject
                {
                    ["name"] = "splunk", ["kind"] = "splunk_hec", ["url"] = receiver.Address.ToString(), ["token"] = "hec-token-1", ["format"] = "cef", ["start_seq"] = 1,
                }))).JsonAsync()).GetProperty("id").GetString()!;
                await Eventually.GetAsync(async () =>
                    (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64() == 41 ? "" : null, "41 delivered");
                await server.StopKeepingDataAsync();
            }

            var before = receiver.Requests.Count;
            await using (var again = await StartServerAsync(store, folder))
            {
                using var client = await again.ClientForAsync(tenant);
                await Some.SendManyAsync(client, tenant, 10);
                await Eventually.GetAsync(async () =>
                    (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64() == 51 ? "" : null, "51 delivered");
            }

            var events = new List<JsonElement>();
            foreach (var request in receiver.Requests)
            {
                Assert.Equal("/services/collector/event", request.Path);
                Assert.Equal("Splunk hec-token-1", request.Headers["authorization"]);
                var reader = new Utf8JsonReader(request.Body, new JsonReaderOptions { AllowMultipleValues = true });
                while (reader.Read())
                {
                    events.Add(JsonElement.ParseValue(ref reader));
                }
            }

            // The 40 events, the stream's own stream.create (seq 41), then the 10 sent after the restart.
            Assert.Equal(Enumerable.Range(1, 51).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.Select(e => e.GetProperty("fields").GetProperty("seq").GetString()));
            Assert.All(events.Where((_, i) => i != 40), e => Assert.StartsWith("CEF:0|Witness|Witness|1|inbox.create|", e.GetProperty("event").GetString(), StringComparison.Ordinal));
            Assert.StartsWith("CEF:0|Witness|Witness|1|stream.create|", events[40].GetProperty("event").GetString(), StringComparison.Ordinal);
            // After the restart delivery went on from the cursor: only the new events were sent.
            Assert.Equal(Enumerable.Range(42, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                events.Skip(41).Select(e => e.GetProperty("fields").GetProperty("seq").GetString()));
            Assert.True(receiver.Requests.Count > before);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_stream_filtered_by_log_type_delivers_only_the_events_of_that_type_and_its_cursor_passes_the_others(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await StartServerAsync(store);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 12, i => Some.Event(tenant, i % 3 == 0 ? "inbox.open" : "inbox.create", e => e["type"] = i % 3 == 0 ? "access" : "activity"));

        var id = (await (await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "access", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/access").ToString(), ["secret"] = Secret, ["types"] = new JsonArray("access"), ["start_seq"] = 1,
        }))).JsonAsync()).GetProperty("id").GetString()!;
        // The 12 events and the stream's own stream.create (an activity event, left out).
        await Eventually.GetAsync(async () =>
            (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64() == 13 ? "" : null, "the cursor at 13");

        var records = Records(receiver);
        Assert.Equal([1L, 4, 7, 10], records.Select(r => r.GetProperty("seq").GetInt64()));
        Assert.All(records, r => Assert.Equal("access", r.GetProperty("type").GetString()));
    }
}
