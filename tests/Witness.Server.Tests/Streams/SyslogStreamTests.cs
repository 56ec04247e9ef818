using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

public sealed partial class SyslogStreamTests
{
    private static Task<RunningServer> StartServerAsync(StreamTestStore? store = null) =>
        store is not null ? store.StartServerAsync(Configure) : RunningServer.StartAsync(Configure);

    private static void Configure(WitnessServerOptions o)
    {
        o.WebhookAllowedHosts.Add("127.0.0.1");
        o.Streams.PollInterval = TimeSpan.FromMilliseconds(200);
        o.Streams.LeaseDuration = TimeSpan.FromSeconds(3);
        o.Streams.RetryDelay = TimeSpan.FromMilliseconds(100);
        o.Streams.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        o.Streams.SyslogConfirmAfter = TimeSpan.FromMilliseconds(300);
    }

    private static async Task<string> CreateAsync(HttpClient client, JsonObject stream)
    {
        var response = await client.PostAsync("/v1/streams", Some.Json(stream));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>The seq of each rsyslog line, after checking rsyslog parsed it as RFC 5424 (version 1, app witness, the structured data).</summary>
    private static List<long> Seqs(IEnumerable<string> lines, string tenant) =>
    [
        .. lines.Select(line =>
        {
            var parts = line.Split('|', 5);
            Assert.Equal("1", parts[0]);
            Assert.Equal("witness", parts[1]);
            var sd = SdPattern().Match(parts[3]);
            Assert.True(sd.Success, line);
            Assert.Equal(tenant, sd.Groups["tenant"].Value);
            Assert.Matches("^[0-9a-f]{64}$", sd.Groups["hash"].Value);
            return long.Parse(sd.Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture);
        }),
    ];

    [GeneratedRegex("""^\[witness@32473 tenant="(?<tenant>[^"]*)" seq="(?<seq>\d+)" hash="(?<hash>[0-9a-f]+)" id="[^"]*" type="[a-z_]+"\]$""")]
    private static partial Regex SdPattern();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Ten_thousand_events_reach_rsyslog_in_seq_order_each_once_as_rfc_5424_and_stopping_rsyslog_loses_none(string storeKind)
    {
        await using var rsyslog = await SyslogReceiver.StartRsyslogAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await StartServerAsync(store);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 10_000);
        var id = await CreateAsync(client, new JsonObject { ["name"] = "rsyslog", ["kind"] = "syslog", ["url"] = $"tcp://127.0.0.1:{rsyslog.Port}", ["start_seq"] = 1 });

        // The 10,000 events and the stream's own stream.create (seq 10,001).
        var lines = await rsyslog.WaitForLinesAsync(l => l.Count >= 10_001, "10,001 messages");
        Assert.Equal(Enumerable.Range(1, 10_001).Select(i => (long)i), Seqs(lines, tenant));
        // The message is the event as the API shows it.
        var last = JsonDocument.Parse(lines[9_999].Split('|', 5)[4].TrimStart('\uFEFF')).RootElement;
        Assert.Equal(10_000, last.GetProperty("seq").GetInt64());
        Assert.Equal(tenant, last.GetProperty("tenant").GetString());

        // rsyslog goes away while events keep coming, and comes back on the same port.
        await Eventually.GetAsync(async () =>
            (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status").GetProperty("delivered_seq").GetInt64() == 10_001 ? "" : null, "the cursor at 10,001");
        await rsyslog.StopAsync();
        await Some.SendManyAsync(client, tenant, 1000);
        var failing = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("state").GetString() == "failing" ? status : null;
        }, "the failing state");
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("last_error").GetString()));
        await Task.Delay(1000);
        await Some.SendManyAsync(client, tenant, 1000);
        await rsyslog.StartAsync();

        var all = await rsyslog.WaitForLinesAsync(l => l.Count > 0 && Seqs(l, tenant).Distinct().Count() >= 12_001, "12,001 distinct messages");
        var seqs = Seqs(all, tenant);
        Assert.Equal(Enumerable.Range(1, 12_001).Select(i => (long)i), seqs.Distinct().Order());
        // At least once: what arrived again is a resend from the cursor, so each first arrival is in seq order.
        Assert.Equal(Enumerable.Range(1, 12_001).Select(i => (long)i), seqs.Distinct());
        var status = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var s = (await (await client.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return s.GetProperty("delivered_seq").GetInt64() == 12_001 ? s : null;
        }, "the cursor at 12,001");
        Assert.Equal(0, status.GetProperty("lag_events").GetInt64());
    }

    [Fact]
    public async Task A_tls_stream_reaches_rsyslog_gtls_through_the_test_ca_or_a_pinned_certificate_and_a_wrong_pin_is_refused()
    {
        using var ca = new TestCa();
        await using var rsyslog = await SyslogReceiver.StartRsyslogAsync(ca);
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 50);
        var url = $"tls://127.0.0.1:{rsyslog.Port}";

        await CreateAsync(client, new JsonObject { ["name"] = "ca", ["kind"] = "syslog", ["url"] = url, ["ca_pem"] = ca.CaPem, ["format"] = "cef", ["start_seq"] = 1 });
        await CreateAsync(client, new JsonObject { ["name"] = "pinned", ["kind"] = "syslog", ["url"] = url, ["pinned_sha256"] = ca.ServerSha256, ["start_seq"] = 1 });
        var wrong = await CreateAsync(client, new JsonObject { ["name"] = "wrong", ["kind"] = "syslog", ["url"] = url, ["pinned_sha256"] = new string('a', 64), ["start_seq"] = 1 });

        // The 50 events and the three streams' stream.create events (51 to 53), by each of the two streams that connect.
        var lines = await rsyslog.WaitForLinesAsync(l => l.Count >= 106, "106 messages over TLS");
        var seqs = Seqs(lines, tenant);
        Assert.Equal(Enumerable.Range(1, 53).SelectMany(i => new[] { (long)i, i }), seqs.Order());
        Assert.Contains(lines, l => l.Split('|', 5)[4].TrimStart('\uFEFF').StartsWith("CEF:0|Witness|Witness|1|inbox.create|", StringComparison.Ordinal));
        var refused = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await client.GetAsync($"/v1/streams/{wrong}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("state").GetString() == "failing" ? status : null;
        }, "the wrong pin to fail");
        Assert.Equal(0, refused.GetProperty("delivered_seq").GetInt64());
        await Task.Delay(500);
        Assert.Equal(106, rsyslog.Lines().Count);
    }

    [Fact]
    public async Task Syslog_ng_parses_the_same_messages_as_rfc_5424_in_every_format()
    {
        Assert.True(SyslogReceiver.SyslogNgFolder is not null, "WITNESS_TEST_SYSLOG_NG is not set: run the tests through scripts/test");
        await using var syslogNg = await SyslogReceiver.StartSyslogNgAsync();
        await using var server = await StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 300, i => Some.Event(tenant, i % 2 == 0 ? "user.login" : "inbox.update", e =>
        {
            // Text that needs escaping in structured data, CEF and JSON.
            e["id"] = $"id-{i}-\"q\"]\\";
            e["description"] = $"Line one\nline two | a=b \\ {i}";
        }));
        foreach (var format in (string[])["witness", "ocsf", "cef"])
        {
            await CreateAsync(client, new JsonObject { ["name"] = format, ["kind"] = "syslog", ["url"] = $"tcp://127.0.0.1:{syslogNg.Port}", ["format"] = format, ["start_seq"] = 1 });
        }

        // The 300 events and the three streams' stream.create events (301 to 303), in each of the three formats.
        var lines = await syslogNg.WaitForLinesAsync(l => l.Count >= 909, "909 messages at syslog-ng");
        var parsed = lines.Select(l => l.Split('|', 6)).ToList();
        Assert.All(parsed, p =>
        {
            Assert.Equal(tenant, p[2]);
            Assert.Equal("witness", p[3]);
            Assert.Matches("^[0-9a-f]{64}$", p[1]);
        });
        Assert.Equal(Enumerable.Range(1, 303).SelectMany(i => new[] { (long)i, i, i }), parsed.Select(p => long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture)).Order());
        var json = parsed.Where(p => p[5].StartsWith('{')).Select(p => JsonDocument.Parse(p[5]).RootElement).ToList();
        Assert.Equal(606, json.Count);
        Assert.Contains(json, j => j.TryGetProperty("class_uid", out var c) && c.GetInt32() == 3002);
        Assert.Contains(json, j => j.TryGetProperty("description", out var d) && d.GetString()!.StartsWith("Line one\nline two | a=b \\", StringComparison.Ordinal));
        Assert.Equal(303, parsed.Count(p => p[5].StartsWith("CEF:0|", StringComparison.Ordinal)));
    }
}
