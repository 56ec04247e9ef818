using System.Net;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>Checkpoints kept outside the store: signed on clean shutdown, and given back to POST /v1/verify.</summary>
public sealed class CheckpointAnchorTests
{
    [Fact]
    public async Task A_clean_shutdown_signs_the_events_since_the_last_checkpoint()
    {
        var folder = TempFolder.Create("witness-shutdown");
        try
        {
            var tenant = Some.Tenant();
            var server = await RunningServer.StartAsync(dataDirectory: folder, sqliteOnly: true);
            using (var client = await server.ClientForAsync(tenant))
            {
                // Fewer than CheckpointEvery, and far less than a minute: only the shutdown signs them.
                await Some.SendManyAsync(client, "", 37);
            }

            await server.StopKeepingDataAsync();

            var run = await WitnessProcess.RunAsync("verify", "--tenant", tenant, "--data", folder);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("37 events verified against 1 signed checkpoint, as of size 37.", run.Output);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Post_verify_checks_the_log_against_the_checkpoints_in_the_body()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = await server.ClientForAsync(Some.Tenant());
        using var other = await server.ClientForAsync(Some.Tenant());
        await Some.SendManyAsync(client, "", 120);
        await Some.SendManyAsync(other, "", 10);
        var kept = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var foreign = await (await other.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        await Some.SendManyAsync(client, "", 30);

        // A note as text and the whole answer of /v1/checkpoints/latest are both accepted.
        var body = new JsonObject { ["checkpoints"] = new JsonArray(kept.GetProperty("note").GetString(), JsonNode.Parse(kept.GetRawText())) };
        var ok = await (await client.PostAsync("/v1/verify", Some.Json(body))).JsonAsync();
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.ToString());
        Assert.Equal(150, ok.GetProperty("size").GetInt64());
        Assert.Equal(2, ok.GetProperty("outside_checkpoints_checked").GetInt32());

        // Another tenant's checkpoint is not one of this log.
        var wrong = await (await client.PostAsync("/v1/verify", Some.Json(new JsonObject { ["checkpoints"] = new JsonArray(foreign.GetProperty("note").GetString()) }))).JsonAsync();
        Assert.False(wrong.GetProperty("ok").GetBoolean());
        Assert.Equal(10, wrong.GetProperty("bad_checkpoint_size").GetInt64());
        Assert.Contains("not of tenant", wrong.GetProperty("problem").GetString());

        var invalid = await client.PostAsync("/v1/verify", Some.Json(new JsonObject { ["checkpoints"] = new JsonArray(42) }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("checkpoints[0]", await invalid.Content.ReadAsStringAsync());
    }
}
