using System.Text.Json;
using Witness.Integrity;
using Witness.Server.Tests.Support;
using Witness.Server.Witnessing;

namespace Witness.Server.Tests.Witnessing;

public sealed class CosigningTests
{
    private const string Origin = "audit.example.com";

    [Fact]
    public async Task Two_witnesses_cosign_the_heads_log_and_refuse_it_after_the_database_was_restored_from_an_older_copy_and_signed_again()
    {
        var folder = TempFolder.Create("witness-cosigning");
        try
        {
            // The log's keys exist before the witnesses are configured with its verifier key.
            var data = Path.Combine(folder, "data");
            using (var created = SigningKey.LoadOrCreate(data, Origin))
            {
            }

            var logKey = Ed25519NoteKey.LoadOrCreate(Path.Combine(data, SigningKey.FileName + Ed25519NoteKey.FileSuffix), Origin).VerifierKey;
            var config = Path.Combine(folder, "witnessed-logs.json");
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { logs = new[] { new { origin = $"{Origin}/heads", keys = new[] { logKey } } } }));
            using var w1 = await WitnessProcess.StartAsync("witness", Path.Combine(folder, "w1"), "--name", "witness.example.org/w1", "--config", config);
            using var w2 = await WitnessProcess.StartAsync("witness", Path.Combine(folder, "w2"), "--name", "witness.example.org/w2", "--config", config);
            var w1Key = await VerifierKeyOfAsync(w1);
            var w2Key = await VerifierKeyOfAsync(w2);

            void Configure(WitnessServerOptions o)
            {
                o.Origin = Origin;
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{w1Key}={w1.Address}"));
                o.Witnessing.Witnesses.Add(WitnessEndpoint.Parse($"{w2Key}={w2.Address}"));
                o.Witnessing.Policy = 2;
                o.Witnessing.RetryInterval = TimeSpan.FromMilliseconds(200);
            }

            var tenant = Some.Tenant();
            string apiKey;
            string keptTenantCheckpoint;
            string cosignedHeads;
            var older = Path.Combine(folder, "older");
            await using (var server = await RunningServer.StartAsync(Configure, data, sqliteOnly: true))
            {
                apiKey = await server.CreateKeyAsync(tenant);
                using var client = server.Client(apiKey);
                await Some.SendManyAsync(client, tenant, 5);
                await client.GetAsync("/v1/checkpoints/latest");
                await WitnessedAsync(client, atLeast: 1);
                await server.StopKeepingDataAsync();
            }

            // The copy an attacker (or a careless restore) goes back to.
            Directory.CreateDirectory(older);
            foreach (var file in Directory.GetFiles(data, "witness.db*"))
            {
                File.Copy(file, Path.Combine(older, Path.GetFileName(file)));
            }

            await using (var server = await RunningServer.StartAsync(Configure, data, sqliteOnly: true))
            {
                using var client = server.Client(apiKey);
                await Some.SendManyAsync(client, tenant, 5);
                keptTenantCheckpoint = (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("note").GetString()!;
                var status = await WitnessedAsync(client, atLeast: 2);
                Assert.Equal(2, status.GetProperty("last_witnessed").GetProperty("witnesses").GetInt32());
                cosignedHeads = await (await server.Client().GetAsync("/tiles/heads/checkpoint")).Content.ReadAsStringAsync();
                await server.StopKeepingDataAsync();
            }

            // Both cosignatures verify as cosignature/v1 (Go, by the spec), and the log's own Ed25519 signature too.
            var cosignedFile = GoChecker.WriteNote(cosignedHeads);
            foreach (var key in new[] { w1Key, w2Key })
            {
                var (exit, output) = await GoChecker.RunAsync("cosignature", key, cosignedFile);
                Assert.True(exit == 0, output);
                Assert.NotNull(NoteVerifierKey.Parse(key).CosignatureTime(cosignedHeads));
            }

            var (noteExit, noteOutput) = await GoChecker.RunAsync("note", logKey, cosignedFile);
            Assert.True(noteExit == 0, noteOutput);

            // Restore the older copy and write a different history after it.
            foreach (var file in Directory.GetFiles(data, "witness.db*"))
            {
                File.Delete(file);
            }

            foreach (var file in Directory.GetFiles(older))
            {
                File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
            }

            await using (var server = await RunningServer.StartAsync(Configure, data, sqliteOnly: true))
            {
                using var client = server.Client(apiKey);
                await Some.SendManyAsync(client, tenant, 20, i => Some.Event(tenant, action: "forged.history"));
                await client.GetAsync("/v1/checkpoints/latest");
                var status = await Eventually.GetValueAsync(async () =>
                {
                    var s = await (await client.GetAsync("/v1/witnessing")).JsonAsync();
                    return s.GetProperty("witnesses").EnumerateArray().All(w => w.GetProperty("refused").GetBoolean()) ? (JsonElement?)s : null;
                }, "both witnesses refusing the forked heads log");
                Assert.True(status.GetProperty("behind").GetBoolean());
                Assert.True(status.GetProperty("last_witnessed").GetProperty("size").GetInt64() < status.GetProperty("size").GetInt64());
                Assert.Contains(status.GetProperty("witnesses").EnumerateArray(), w => w.GetProperty("problem").GetString()!.Contains("fork", StringComparison.Ordinal)
                    || w.GetProperty("problem").GetString()!.Contains("rolled back", StringComparison.Ordinal));
            }

            // Whoever kept the last cosigned heads checkpoint, or a tenant checkpoint, from before the restore detects the fork.
            var keptHeads = Path.Combine(folder, "kept-heads-checkpoint");
            await File.WriteAllTextAsync(keptHeads, cosignedHeads);
            var headsVerify = await WitnessProcess.RunAsync("verify", "--data", data, "--origin", Origin, "--tenant", tenant, "--checkpoint", keptHeads);
            Assert.Equal(1, headsVerify.ExitCode);
            Assert.Contains("FAILED: the heads log", headsVerify.Output, StringComparison.Ordinal);

            var kept = Path.Combine(folder, "kept-checkpoint");
            await File.WriteAllTextAsync(kept, keptTenantCheckpoint);
            var verify = await WitnessProcess.RunAsync("verify", "--data", data, "--origin", Origin, "--tenant", tenant, "--checkpoint", kept);
            Assert.Equal(1, verify.ExitCode);
            Assert.Contains("consistent extension", verify.Output + verify.Error, StringComparison.Ordinal);

            // The witnesses kept what they cosigned across the restart of the log.
            Assert.True(File.Exists(Path.Combine(folder, "w1", WitnessedLogs.StateFile)));
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private static async Task<string> VerifierKeyOfAsync(WitnessProcess witness) =>
        await Eventually.GetAsync(() => Task.FromResult(witness.Lines.FirstOrDefault(l => l.StartsWith("Verifier key: ", StringComparison.Ordinal))?["Verifier key: ".Length..]), "the witness's verifier key line");

    private static async Task<JsonElement> WitnessedAsync(HttpClient client, long atLeast) =>
        await Eventually.GetValueAsync(async () =>
        {
            var status = await (await client.GetAsync("/v1/witnessing")).JsonAsync();
            return status.GetProperty("last_witnessed") is { ValueKind: JsonValueKind.Object } last && last.GetProperty("size").GetInt64() >= atLeast
                && last.GetProperty("size").GetInt64() == status.GetProperty("size").GetInt64() ? (JsonElement?)status : null;
        }, $"the heads log witnessed by both witnesses at size {atLeast} or more");
}
