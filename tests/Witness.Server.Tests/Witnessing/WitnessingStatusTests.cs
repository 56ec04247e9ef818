using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Witness.Access;
using Witness.Integrity;
using Witness.Server.Tests.Support;
using Witness.Server.Witnessing;
using Witness.Storage;

namespace Witness.Server.Tests.Witnessing;

/// <summary>When the heads log was last witnessed, and what happens when witnessing falls behind: API, console, health, metrics, alert.</summary>
public sealed class WitnessingStatusTests
{
    [Fact]
    public async Task A_witness_that_stops_answering_leaves_the_heads_log_behind_once_the_threshold_passes_on_the_clock_degrading_health_and_raising_the_metric_and_the_alert()
    {
        var folder = TempFolder.Create("witness-behind");
        try
        {
            var origin = WitnessSetup.NewOrigin();
            var data = Path.Combine(folder, "data");
            var logKey = WitnessSetup.CreateLogKeys(data, origin);
            var (witness, witnessKey) = await WitnessSetup.StartWitnessAsync(folder, "w1", origin, logKey);
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            await using var server = await RunningServer.StartAsync(o =>
            {
                o.Origin = origin;
                o.Clock = clock;
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{witnessKey}={witness.Address}"));
                o.Witnessing.Policy = 1;
                o.Witnessing.AlertAfter = TimeSpan.FromMinutes(10);
                // Rounds only when the heads log grows (and when the test asks): the manual clock moves only when told.
                o.Witnessing.MinInterval = TimeSpan.Zero;
                o.Witnessing.RetryInterval = TimeSpan.FromDays(1);
            }, data);
            var tenant = Some.Tenant();
            using var client = await server.ClientForAsync(tenant);
            using var anonymous = server.Client();
            await Some.SendManyAsync(client, tenant, 5);
            await client.GetAsync("/v1/checkpoints/latest");
            var witnessed = await WitnessSetup.WitnessedAsync(client);
            Assert.False(witnessed.GetProperty("behind").GetBoolean());
            Assert.Equal(JsonValueKind.Null, witnessed.GetProperty("pending_since").ValueKind);
            Assert.Equal(0, witnessed.GetProperty("lag_seconds").GetDouble());
            Assert.Equal(600, witnessed.GetProperty("alert_after_seconds").GetDouble());

            // The tenant's checkpoint says when the heads log was last witnessed, and proves itself in that cosigned checkpoint.
            var heads = (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("heads");
            var cosigned = heads.GetProperty("witnessed");
            Assert.True(cosigned.GetProperty("includes_this_checkpoint").GetBoolean());
            Assert.Equal(1, cosigned.GetProperty("witnesses").GetInt32());
            Assert.Equal(1, cosigned.GetProperty("policy").GetInt32());
            var cosignedNote = cosigned.GetProperty("checkpoint").GetString()!;
            Assert.NotNull(NoteVerifierKey.Parse(witnessKey).CosignatureTime(cosignedNote));
            var (size, root) = WitnessSetup.BodyOf(cosignedNote);
            Assert.Equal(size, cosigned.GetProperty("tree_size").GetInt64());
            var proof = cosigned.GetProperty("proof").EnumerateArray().Select(p => Convert.FromHexString(p.GetString()!)).ToArray();
            Assert.True(MerkleVerifier.VerifyInclusion(Convert.FromHexString(heads.GetProperty("leaf_hash").GetString()!), heads.GetProperty("index").GetInt64(), size, proof, root));
            var ready = await (await anonymous.GetAsync("/healthz/ready")).JsonAsync();
            Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("witnessing").GetProperty("status").GetString());

            // The witness stops answering; the log grows. Not behind yet: nothing has waited 10 minutes.
            witness.Dispose();
            await Some.SendManyAsync(client, tenant, 3);
            var grown = (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("heads").GetProperty("witnessed");
            Assert.False(grown.GetProperty("includes_this_checkpoint").GetBoolean());
            Assert.Equal(JsonValueKind.Null, grown.GetProperty("proof").ValueKind);
            Assert.Equal(size, grown.GetProperty("tree_size").GetInt64());
            var failing = await Eventually.GetValueAsync(async () =>
            {
                var s = await WitnessSetup.StatusAsync(client);
                return s.GetProperty("witnesses")[0].GetProperty("problem").GetString() is { } p && p.Contains("unreachable", StringComparison.Ordinal) ? (JsonElement?)s : null;
            }, "the witness reported unreachable");
            Assert.False(failing.GetProperty("behind").GetBoolean());
            Assert.NotEqual(JsonValueKind.Null, failing.GetProperty("pending_since").ValueKind);
            Assert.False(failing.GetProperty("witnesses")[0].GetProperty("refused").GetBoolean());
            ready = await (await anonymous.GetAsync("/healthz/ready")).JsonAsync();
            Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("witnessing").GetProperty("status").GetString());

            // The operator's alert rule on the platform log, through the alert machinery every tenant has.
            using var admin = server.Client(await server.CreateKeyAsync(null));
            var created = await admin.PostAsync("/v1/alerts/rules?tenant=_platform", Some.Json(new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = "Heads log not witnessed", ["kind"] = "match", ["query"] = $"action:{HeadsCosigner.BehindAction}",
            }));
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var rule = (await created.JsonAsync()).GetProperty("id").GetString();

            // Eleven minutes later it is behind: the API, the readiness check, the metric and the platform log say so.
            clock.Advance(TimeSpan.FromMinutes(11));
            var behind = await WitnessSetup.StatusAsync(client);
            Assert.True(behind.GetProperty("behind").GetBoolean());
            Assert.True(behind.GetProperty("lag_seconds").GetDouble() >= 660);
            Assert.Equal(size, behind.GetProperty("last_witnessed").GetProperty("size").GetInt64());
            var degraded = await anonymous.GetAsync("/healthz/ready");
            Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
            var check = (await degraded.JsonAsync()).GetProperty("checks").GetProperty("witnessing");
            Assert.Equal("Degraded", check.GetProperty("status").GetString());
            Assert.Contains("unreachable", check.GetProperty("description").GetString(), StringComparison.Ordinal);

            var series = new Regex($@"^witness_witnessing_behind\{{[^}}]*origin=""{Regex.Escape(origin + "/heads")}""[^}}]*\}} (?<value>\S+)", RegexOptions.Multiline);
            var metric = await Eventually.GetAsync(async () =>
                series.Match(await anonymous.GetStringAsync("/metrics")) is { Success: true } m && m.Groups["value"].Value == "1" ? m.Value : null,
                "witness_witnessing_behind 1 for this origin");
            Assert.EndsWith(" 1", metric, StringComparison.Ordinal);
            Assert.Matches($@"witness_witnessing_witnessed_size\{{[^}}]*origin=""{Regex.Escape(origin + "/heads")}""[^}}]*\}} {size}", await anonymous.GetStringAsync("/metrics"));

            var cosigner = server.Services.GetRequiredService<HeadsCosigner>();
            await cosigner.WitnessLatestAsync(CancellationToken.None);
            await cosigner.WitnessLatestAsync(CancellationToken.None);
            var alerts = (await (await admin.GetAsync($"/v1/events?tenant=_platform&action={HeadsCosigner.BehindAction}")).JsonAsync()).GetProperty("events");
            var alert = Assert.Single(alerts.EnumerateArray());
            Assert.Equal("integration_failure", alert.GetProperty("type").GetString());
            Assert.Equal("failure", alert.GetProperty("outcome").GetString());
            Assert.Contains("unreachable", alert.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(origin + "/heads", alert.GetProperty("targets")[0].GetProperty("id").GetString());
            var fired = await Eventually.GetValueAsync(async () =>
                (await (await admin.GetAsync("/v1/events?tenant=_platform&action=alert.fired")).JsonAsync()).GetProperty("events").EnumerateArray()
                    .Where(e => e.GetProperty("targets")[0].GetProperty("id").GetString() == rule).Select(e => (JsonElement?)e).FirstOrDefault(),
                "the platform alert rule fired");
            Assert.Contains("Heads log not witnessed", fired.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task A_restarted_server_serves_the_cosigned_heads_checkpoint_and_each_witness_state_from_the_store_and_the_console_shows_them()
    {
        var folder = TempFolder.Create("witness-restart");
        try
        {
            var origin = WitnessSetup.NewOrigin();
            var data = Path.Combine(folder, "data");
            var logKey = WitnessSetup.CreateLogKeys(data, origin);
            var (witness, witnessKey) = await WitnessSetup.StartWitnessAsync(folder, "w1", origin, logKey);
            void Configure(WitnessServerOptions o)
            {
                o.Origin = origin;
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{witnessKey}={witness.Address}"));
                o.Witnessing.Policy = 1;
                // Checkpoints only when the test asks for one, so the console's own events do not grow the heads log meanwhile.
                o.CheckpointInterval = TimeSpan.FromHours(1);
            }

            var tenant = Some.Tenant();
            string apiKey;
            JsonElement before;
            string cosigned;
            await using (var first = await RunningServer.StartAsync(Configure, data))
            {
                apiKey = await first.CreateKeyAsync(tenant);
                using var client = first.Client(apiKey);
                await Some.SendManyAsync(client, tenant, 4);
                await client.GetAsync("/v1/checkpoints/latest");
                before = await WitnessSetup.WitnessedAsync(client);
                cosigned = await first.Client().GetStringAsync("/tiles/heads/checkpoint");
                await first.StopKeepingDataAsync();
            }

            // The witness is gone: whatever the restarted server knows of it, it read from the store.
            witness.Dispose();
            await using var server = await RunningServer.StartAsync(Configure, data);
            using var restarted = server.Client(apiKey);
            await server.Services.GetRequiredService<HeadsCosigner>().WitnessLatestAsync(CancellationToken.None);
            var after = await WitnessSetup.StatusAsync(restarted);
            var size = before.GetProperty("size").GetInt64();
            Assert.Equal(size, after.GetProperty("last_witnessed").GetProperty("size").GetInt64());
            Assert.Equal(before.GetProperty("last_witnessed").GetProperty("note").GetString(), after.GetProperty("last_witnessed").GetProperty("note").GetString());
            var state = after.GetProperty("witnesses")[0];
            Assert.Equal(size, state.GetProperty("cosigned_size").GetInt64());
            Assert.Equal(before.GetProperty("witnesses")[0].GetProperty("cosigned_at").GetString(), state.GetProperty("cosigned_at").GetString());
            Assert.Equal(JsonValueKind.Null, state.GetProperty("problem").ValueKind); // it was not asked again: it had cosigned the latest
            Assert.False(after.GetProperty("behind").GetBoolean());
            Assert.Equal(cosigned, await server.Client().GetStringAsync("/tiles/heads/checkpoint"));
            Assert.NotNull(NoteVerifierKey.Parse(witnessKey).CosignatureTime(cosigned));

            // Settings › Retention shows it to the workspace's administrators.
            var email = $"wanda.{Guid.NewGuid():N}@example.com";
            await server.Services.GetRequiredService<IUserStore>().TryCreateUserAsync(
                ConsoleUser.Create(email, "a long passphrase", ConsoleRoles.Administrator, tenant, "Wanda <Witness>", DateTimeOffset.UtcNow), CancellationToken.None);
            using var session = await ConsoleHttpSession.SignInAsync(server.Address, email, "a long passphrase");
            var page = await session.Client.GetAsync("/console/settings/retention");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            var card = Card(html);
            Assert.Contains("data-witnessing=\"witnessed\"", card, StringComparison.Ordinal);
            Assert.Contains("Witnessed by others", card, StringComparison.Ordinal);
            Assert.Contains("witness.example.org/w1", card, StringComparison.Ordinal);
            Assert.Contains("by 1 of 1 required witnesses", card, StringComparison.Ordinal);
            Assert.Contains("is covered by the witnessed heads log", card, StringComparison.Ordinal);
            Assert.DoesNotContain("style=", card, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", card, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", string.Join(" ", page.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);

            // New events the dead witness cannot cosign: the card says the workspace is not witnessed yet and why.
            await Some.SendManyAsync(restarted, tenant, 2);
            await restarted.GetAsync("/v1/checkpoints/latest");
            await Eventually.GetValueAsync(async () =>
                (await WitnessSetup.StatusAsync(restarted)).GetProperty("witnesses")[0].GetProperty("problem").GetString() is not null ? (bool?)true : null,
                "the dead witness's problem recorded");
            card = Card(await session.Client.GetStringAsync("/console/settings/retention"));
            Assert.Contains("data-witnessing=\"pending\"", card, StringComparison.Ordinal);
            Assert.Contains("is not witnessed yet", card, StringComparison.Ordinal);
            Assert.Contains("unreachable", card, StringComparison.Ordinal);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Without_witnesses_the_console_and_the_readiness_check_say_none_is_configured()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        var email = $"nora.{Guid.NewGuid():N}@example.com";
        await server.Services.GetRequiredService<IUserStore>().TryCreateUserAsync(
            ConsoleUser.Create(email, "a long passphrase", ConsoleRoles.Administrator, tenant, "Nora", DateTimeOffset.UtcNow), CancellationToken.None);
        using var session = await ConsoleHttpSession.SignInAsync(server.Address, email, "a long passphrase");

        var card = Card(await session.Client.GetStringAsync("/console/settings/retention"));
        var check = (await (await server.Client().GetAsync("/healthz/ready")).JsonAsync()).GetProperty("checks").GetProperty("witnessing");

        Assert.Contains("data-witnessing=\"off\"", card, StringComparison.Ordinal);
        Assert.Contains("No witnesses are configured", card, StringComparison.Ordinal);
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal("no witnesses configured", check.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Witnesses_that_do_not_witness_this_log_or_do_not_trust_its_key_are_reported_with_their_answer_and_the_log_stays_unwitnessed()
    {
        var folder = TempFolder.Create("witness-refusing");
        try
        {
            var origin = WitnessSetup.NewOrigin();
            var data = Path.Combine(folder, "data");
            WitnessSetup.CreateLogKeys(data, origin);
            var (stranger, strangerKey) = await WitnessSetup.StartWitnessAsync(folder, "w404", "elsewhere.example.net", Ed25519NoteKey.Generate("elsewhere.example.net").VerifierKey);
            using var strangerProcess = stranger;
            var (distrusting, distrustingKey) = await WitnessSetup.StartWitnessAsync(folder, "w403", origin, Ed25519NoteKey.Generate(origin).VerifierKey);
            using var distrustingProcess = distrusting;
            await using var server = await RunningServer.StartAsync(o =>
            {
                o.Origin = origin;
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{strangerKey}={stranger.Address}"));
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{distrustingKey}={distrusting.Address}"));
                o.Witnessing.Policy = 1;
            }, data);
            var tenant = Some.Tenant();
            using var client = await server.ClientForAsync(tenant);
            await Some.SendManyAsync(client, tenant, 2);
            await client.GetAsync("/v1/checkpoints/latest");

            var status = await Eventually.GetValueAsync(async () =>
            {
                var s = await WitnessSetup.StatusAsync(client);
                return s.GetProperty("witnesses").EnumerateArray().All(w => w.GetProperty("problem").ValueKind == JsonValueKind.String) ? (JsonElement?)s : null;
            }, "both witnesses' answers recorded");

            var problems = status.GetProperty("witnesses").EnumerateArray().ToDictionary(w => w.GetProperty("name").GetString()!, w => w.GetProperty("problem").GetString()!);
            Assert.StartsWith("answered 404", problems["witness.example.org/w404"], StringComparison.Ordinal);
            Assert.StartsWith("answered 403", problems["witness.example.org/w403"], StringComparison.Ordinal);
            Assert.All(status.GetProperty("witnesses").EnumerateArray(), w => Assert.Equal(0, w.GetProperty("cosigned_size").GetInt64()));
            Assert.Equal(JsonValueKind.Null, status.GetProperty("last_witnessed").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, status.GetProperty("pending_since").ValueKind);
            Assert.Equal(JsonValueKind.Null, (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("heads").GetProperty("witnessed").ValueKind);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Serve_refuses_an_alert_threshold_under_one_second_naming_the_option()
    {
        var run = await WitnessProcess.RunAsync("serve", "--witness-alert-after", "0", "--data", "/nonexistent-witness-folder");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--witness-alert-after: must be at least 1 second", run.Error, StringComparison.Ordinal);
    }

    private static string Card(string html)
    {
        var start = html.IndexOf("aria-labelledby=\"witnessing-heading\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "the page has no witnessing card");
        return html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
    }
}
