using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Witness.Export;
using Witness.Integrity;
using Witness.Server.Tests.Streams;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>
/// An event's own times (<c>received_at</c>, <c>occurred_at</c>) have six fraction digits wherever the event is shown,
/// like every other time; events stored before the fixed form keep their stored (trimmed) bytes, which still verify.
/// </summary>
public sealed partial class EventTimeFormTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\z")]
    private static partial Regex FixedTime();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_new_events_times_have_six_fraction_digits_on_every_surface_that_shows_it(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync(o =>
        {
            o.WebhookAllowedHosts.Add("127.0.0.1");
            o.Streams.PollInterval = TimeSpan.FromMilliseconds(200);
        });
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = new Uri(receiver.Address, "/hooks").ToString(), ["secret"] = Secret, ["event_types"] = new JsonArray("alert.fired"),
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/alerts/rules", Some.Json(new JsonObject { ["name"] = "Secret deleted", ["kind"] = "match", ["query"] = "action:secret.delete" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "siem", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/ingest").ToString(), ["secret"] = Secret, ["start_seq"] = 1,
        }))).StatusCode);

        // A whole second, trailing zeros, a half second given with an offset.
        var sent = new Dictionary<string, (string Sent, string Shown)>
        {
            ["t-whole"] = ("2023-06-22T15:06:00Z", "2023-06-22T15:06:00.000000Z"),
            ["t-zeros"] = ("2023-06-22T15:06:00.120000Z", "2023-06-22T15:06:00.120000Z"),
            ["t-half"] = ("2023-06-22T17:06:00.5+02:00", "2023-06-22T15:06:00.500000Z"),
        };
        foreach (var (id, (time, _)) in sent)
        {
            var e = Some.Event(tenant, id == "t-half" ? "secret.delete" : "inbox.create", e => { e["id"] = id; e["occurred_at"] = time; });
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(e)).StatusCode);
        }

        var webhook = await Eventually.GetAsync(() => Task.FromResult(receiver.Requests.FirstOrDefault(r => r.Path == "/hooks")), "the alert.fired webhook");
        var streamed = await Eventually.GetAsync(() =>
        {
            var lines = receiver.Requests.Where(r => r.Path == "/ingest")
                .SelectMany(r => Encoding.UTF8.GetString(StreamTestSupport.Gunzip(r.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
            return Task.FromResult(lines.Count(l => l.Contains("\"id\":\"t-", StringComparison.Ordinal)) >= 3 ? lines : null);
        }, "the stream records");

        var surfaces = new Dictionary<string, string>
        {
            ["GET /v1/events"] = await client.GetStringAsync("/v1/events?limit=100"),
            ["json export"] = await client.GetStringAsync("/v1/events/export?format=json"),
            ["webhook payload"] = Encoding.UTF8.GetString(webhook.Body),
            ["stream records"] = "[" + string.Join(",", streamed) + "]",
        };
        foreach (var id in sent.Keys)
        {
            surfaces[$"GET /v1/events/{id}"] = await client.GetStringAsync($"/v1/events/{id}");
        }

        var ndjson = await client.GetStringAsync("/v1/events/export?format=ndjson");
        var proofs = await client.GetStringAsync("/v1/events/export?format=ndjson&action=inbox.create");
        surfaces["ndjson export"] = "[" + string.Join(",", ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries)) + "]";
        surfaces["ndjson export with proofs"] = "[" + string.Join(",", proofs.Split('\n', StringSplitOptions.RemoveEmptyEntries)) + "]";

        foreach (var (surface, text) in surfaces)
        {
            var events = Events(JsonDocument.Parse(text).RootElement).ToList();
            Assert.True(events.Count > 0, $"{surface} shows no event: {text}");
            foreach (var e in events)
            {
                Assert.Matches(FixedTime(), e.GetProperty("received_at").GetString()!);
                Assert.Matches(FixedTime(), e.GetProperty("occurred_at").GetString()!);
            }

            foreach (var (id, (_, shown)) in sent)
            {
                foreach (var e in events.Where(e => e.GetProperty("id").GetString() == id))
                {
                    Assert.Equal(shown, e.GetProperty("occurred_at").GetString());
                }
            }
        }

        Assert.Contains(Events(JsonDocument.Parse(surfaces["webhook payload"]).RootElement), e => e.GetProperty("id").GetString() == "t-half");
        Assert.Equal(3, Events(JsonDocument.Parse(surfaces["stream records"]).RootElement).Count(e => e.GetProperty("id").GetString()!.StartsWith("t-", StringComparison.Ordinal)));

        // The new form verifies: online, and offline from both exports.
        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        using var publicKey = SigningKey.ImportPublicKeyPem(await client.GetStringAsync("/v1/public-key"));
        foreach (var export in new[] { ndjson, proofs })
        {
            var checkedExport = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(export)), publicKey, CancellationToken.None);
            Assert.True(checkedExport.Ok, checkedExport.Problem);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_retry_giving_the_same_times_in_another_text_is_the_same_event_and_another_time_is_a_conflict(string storeKind)
    {
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        JsonObject Sent(string id, string? occurredAt) => Some.Event(tenant, change: e =>
        {
            e["id"] = id;
            e["metadata"] = new JsonObject { ["n"] = 1 };
            e["targets"] = new JsonArray();
            if (occurredAt is null)
            {
                e.Remove("occurred_at");
            }
            else
            {
                e["occurred_at"] = occurredAt;
            }
        });

        var first = await (await client.PostAsync(Sent("r-1", "2023-06-22T15:06:00.5Z"))).JsonAsync();
        var seq = first.GetProperty("events")[0].GetProperty("seq").GetInt64();
        foreach (var again in new[] { "2023-06-22T15:06:00.500000Z", "2023-06-22T17:06:00.50+02:00", "2023-06-22T15:06:00.5000009Z" })
        {
            var response = await client.PostAsync(Sent("r-1", again));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ack = (await response.JsonAsync()).GetProperty("events")[0];
            Assert.Equal("existing", ack.GetProperty("status").GetString());
            Assert.Equal(seq, ack.GetProperty("seq").GetInt64());
        }

        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync(Sent("r-1", "2023-06-22T15:06:00.6Z"))).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Sent("r-2", null))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(Sent("r-2", null))).StatusCode);

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
    }

    [Fact]
    public async Task A_store_and_its_exports_written_before_the_fixed_form_keep_their_bytes_verify_take_retries_erase_and_import()
    {
        // Written by main at f3f50ee (Fixtures/times-trimmed/README.md): 11 events of tenant acme with trimmed times,
        // leaf version 2 (salted personal values), and the two NDJSON exports that build took of it.
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "times-trimmed");
        var data = TempFolder.Create("witness-times-trimmed");
        try
        {
            foreach (var file in new[] { "witness.db", "checkpoint-signing-key.pem", "checkpoint-signing-key.pem.ed25519" })
            {
                File.Copy(Path.Combine(fixture, file), Path.Combine(data, file));
            }

            var verified = await WitnessProcess.RunAsync("verify", "--tenant", "acme", "--data", data);
            Assert.True(verified.ExitCode == 0, verified.ToString());
            foreach (var export in new[] { "export.ndjson", "export-proofs.ndjson" })
            {
                var offline = await WitnessProcess.RunAsync("verify", "--file", Path.Combine(fixture, export), "--public-key", Path.Combine(fixture, "public-key.pem"));
                Assert.True(offline.ExitCode == 0, offline.ToString());
            }

            var oldLines = File.ReadAllLines(Path.Combine(fixture, "export.ndjson"))
                .Where(l => l.Contains("\"id\":\"old-", StringComparison.Ordinal))
                .ToDictionary(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!);
            Assert.Contains("\"occurred_at\":\"2026-11-02T09:00:00.5Z\"", oldLines["old-2"], StringComparison.Ordinal);

            await using var server = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true);
            using var client = await server.ClientForAsync("acme");

            // An old event is shown as it was stored: its bytes are what its leaf hash was taken of.
            foreach (var (id, line) in oldLines)
            {
                var shown = await client.GetStringAsync($"/v1/events/{id}");
                Assert.Equal(WithoutPersonal(line), shown);
            }

            var proof = await (await client.GetAsync("/v1/events/old-2/proof")).JsonAsync();
            var leaf = Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!);
            var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(JsonDocument.Parse(oldLines["old-2"]).RootElement));
            Assert.Equal(leaf, MerkleHash.Leaf(Witness.Events.PersonalValues.Leaf(canonical, Convert.FromBase64String(proof.GetProperty("personal").GetString()!))));
            var checkpoint = Checkpoint.ParseBody(NoteBody(proof.GetProperty("checkpoint").GetProperty("note").GetString()!));
            Assert.True(MerkleVerifier.VerifyInclusion(leaf, proof.GetProperty("leaf_index").GetInt64(), checkpoint.Size,
                [.. proof.GetProperty("proof").EnumerateArray().Select(p => Convert.FromHexString(p.GetString()!))], checkpoint.RootHash));

            // Retries of what the clients sent then, with the times in another text, are the stored events.
            foreach (var (id, body, seq) in new[]
            {
                ("old-2", """{"id":"old-2","action":"inbox.update","occurred_at":"2026-11-02T09:00:00.500000Z","actor":{"id":"u_olga","name":"Olga Trimmed","email":"olga.trimmed@example.com"},"targets":[{"type":"inbox","id":"7","name":"Support"}]}""", 3L),
                ("old-3", """{"id":"old-3","action":"inbox.update","occurred_at":"2026-11-02T09:00:01.12Z","actor":{"id":"u_ben","name":"Ben","email":"ben@example.com"},"targets":[{"type":"inbox","id":"7"}]}""", 4L),
                ("old-5", """{"id":"old-5","action":"settings.change"}""", 6L),
            })
            {
                var response = await client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Assert.Equal(seq, (await response.JsonAsync()).GetProperty("events")[0].GetProperty("seq").GetInt64());
            }

            // A new event in the same log has the fixed form; the log of both forms verifies.
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/events", new StringContent(
                """{"id":"new-1","action":"user.login","occurred_at":"2026-11-03T09:00:00Z","actor":{"id":"u_olga","name":"Olga Trimmed","email":"olga.trimmed@example.com"}}""",
                Encoding.UTF8, "application/json"))).StatusCode);
            var fresh = await (await client.GetAsync("/v1/events/new-1")).JsonAsync();
            Assert.Equal("2026-11-03T09:00:00.000000Z", fresh.GetProperty("occurred_at").GetString());
            Assert.Matches(FixedTime(), fresh.GetProperty("received_at").GetString()!);

            // Erasing the subject rewrites old-form and new-form bodies; every leaf stays.
            var erased = await (await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = "olga.trimmed@example.com" }))).JsonAsync();
            Assert.Equal(5, erased.GetProperty("events").GetInt64());
            var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
            Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
            var old2 = await (await client.GetAsync("/v1/events/old-2")).JsonAsync();
            Assert.Equal("[erased]", old2.GetProperty("actor").GetProperty("name").GetString());
            Assert.Equal("2026-11-02T09:00:00.5Z", old2.GetProperty("occurred_at").GetString());
            Assert.Equal("[erased]", (await (await client.GetAsync("/v1/events/new-1")).JsonAsync()).GetProperty("actor").GetProperty("name").GetString());

            using var publicKey = SigningKey.ImportPublicKeyPem(File.ReadAllText(Path.Combine(fixture, "public-key.pem")));
            foreach (var query in new[] { "", "&action=inbox.update", "&actor=u_olga" })
            {
                var after = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(await client.GetStringAsync("/v1/events/export?format=ndjson" + query))), publicKey, CancellationToken.None);
                Assert.True(after.Ok, $"{query}: {after.Problem}");
            }

            // The old export imports into another tenant as new events, in the fixed form.
            var copy = Some.Tenant();
            var key = await server.CreateKeyAsync(copy, "events:write", "events:read");
            var imported = await WitnessProcess.RunAsync("import", Path.Combine(fixture, "export.ndjson"), "--tenant", copy, "--url", server.Address.ToString(), "--key", key);
            Assert.True(imported.ExitCode == 0, imported.ToString());
            using var copyClient = server.Client(key);
            var copied = await (await copyClient.GetAsync("/v1/events/old-2")).JsonAsync();
            Assert.Equal("2026-11-02T09:00:00.500000Z", copied.GetProperty("occurred_at").GetString());
            Assert.Matches(FixedTime(), copied.GetProperty("received_at").GetString()!);

            await server.StopKeepingDataAsync();
            var verifiedAfter = await WitnessProcess.RunAsync("verify", "--tenant", "acme", "--data", data);
            Assert.True(verifiedAfter.ExitCode == 0, verifiedAfter.ToString());
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    /// <summary>Every stored event in an answer: an object with seq, received_at and occurred_at, wherever it is nested.</summary>
    private static IEnumerable<JsonElement> Events(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            return element.EnumerateArray().SelectMany(Events);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var self = element.TryGetProperty("seq", out _) && element.TryGetProperty("received_at", out _) && element.TryGetProperty("occurred_at", out _)
            ? [element]
            : Array.Empty<JsonElement>();
        return self.Concat(element.EnumerateObject().SelectMany(p => Events(p.Value)));
    }

    /// <summary>An NDJSON export's event line as GET /v1/events/{id} shows it: without its personal record.</summary>
    private static string WithoutPersonal(string line)
    {
        var at = line.IndexOf(",\"personal\":\"", StringComparison.Ordinal);
        return at < 0 ? line : line[..at] + "}";
    }

    private static string NoteBody(string note) => note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
}
