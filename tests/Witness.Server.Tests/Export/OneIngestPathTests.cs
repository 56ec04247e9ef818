using System.Text.Json.Nodes;
using Witness.Server.Catalog;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Export;

/// <summary>Every way into a log goes through the one ingest path (issue 17, item 1).</summary>
public sealed class OneIngestPathTests
{
    [Fact]
    public async Task On_a_help_desk_server_an_event_sent_through_the_api_or_imported_from_the_data_folder_or_the_url_is_stored_byte_for_byte_alike()
    {
        await using var server = await RunningServer.StartAsync(o =>
        {
            Assert.True(PresetChoice.TryParse("help-desk", out var preset, out var error), error);
            o.Presets.Add(preset!);
        });
        var folder = TempFolder.Create("witness-one-path");
        try
        {
            string[] tenants = [Some.Tenant(), Some.Tenant(), Some.Tenant()];
            // No category, type or description: the help-desk preset's user.login fills them in.
            var sent = new JsonObject
            {
                ["id"] = "login-1",
                ["action"] = "user.login",
                ["occurred_at"] = "2023-06-22T15:06:00.123456Z",
                ["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_17", ["name"] = "Ada Agent", ["email"] = "ada@acme.example" },
                ["context"] = new JsonObject { ["ip"] = "203.0.113.7", ["user_agent"] = "Mozilla/5.0" },
            };
            using (var writer = await server.ClientForAsync(tenants[0]))
            {
                Assert.Equal(System.Net.HttpStatusCode.Created, (await writer.PostAsync(sent)).StatusCode);
            }

            var file = Path.Combine(folder, "login.ndjson");
            await File.WriteAllTextAsync(file, sent.ToJsonString() + "\n");
            var fromData = await WitnessProcess.RunAsync(["import", file, "--tenant", tenants[1], .. server.StoreArgs()]);
            Assert.True(fromData.ExitCode == 0, fromData.ToString());
            var key = await server.CreateKeyAsync(tenants[2], "events:write");
            var fromUrl = await WitnessProcess.RunAsync("import", file, "--tenant", tenants[2], "--url", server.Address.ToString(), "--key", key);
            Assert.True(fromUrl.ExitCode == 0, fromUrl.ToString());

            var bodies = new List<string>();
            foreach (var tenant in tenants)
            {
                var stored = await server.Store.FindAsync(tenant, "login-1", CancellationToken.None);
                Assert.NotNull(stored);
                var e = JsonNode.Parse(stored.Body)!.AsObject();
                Assert.Equal("Authentication", (string?)e["category"]);
                Assert.Equal("access", (string?)e["type"]);
                Assert.Equal("Logged in", (string?)e["description"]);
                // The stored bytes with only what belongs to the tenant's log and the arrival blanked out.
                var bytes = System.Text.Encoding.UTF8.GetString(stored.Body)
                    .Replace($"\"tenant\":\"{tenant}\"", "\"tenant\":\"T\"", StringComparison.Ordinal)
                    .Replace($"\"received_at\":\"{(string?)e["received_at"]}\"", "\"received_at\":\"R\"", StringComparison.Ordinal)
                    .Replace($"\"seq\":{(long)e["seq"]!}", "\"seq\":0", StringComparison.Ordinal);
                bodies.Add(bytes);
            }

            Assert.Equal(bodies[0], bodies[1]);
            Assert.Equal(bodies[0], bodies[2]);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
