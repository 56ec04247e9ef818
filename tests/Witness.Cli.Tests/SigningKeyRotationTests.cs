using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Witness.Integrity;
using Witness.Server;

namespace Witness.Cli.Tests;

/// <summary>
/// Signing keys registered in the store, on SQLite and on PostgreSQL: <c>witness signing-key rotate</c> between
/// two runs of a server, then every checkpoint verifies under the key of its time (CLI and API), an export across
/// the rotation verifies offline with both public keys and names the one missing, and a key the store does not
/// know is refused at start.
/// </summary>
public sealed class SigningKeyRotationTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task After_a_rotation_old_and_new_checkpoints_verify_and_an_export_across_it_needs_both_public_keys(string storeKind)
    {
        var folder = TempFolder.Create("witness-rotate");
        var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        try
        {
            var data = Path.Combine(folder, "data");
            void Configure(WitnessServerOptions o) => o.PostgresConnectionString = database?.ConnectionString;
            string[] storeArgs = database is null ? ["--data", data] : ["--data", data, "--postgres", database.ConnectionString];
            var tenant = Some.Tenant();

            string oldPem;
            var first = await RunningServer.StartAsync(Configure, data, sqliteOnly: database is null);
            try
            {
                using var client = await first.ClientForAsync(tenant);
                await Some.SendManyAsync(client, tenant, 12);
                Assert.Equal(12, (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("size").GetInt64());
                oldPem = await client.GetStringAsync("/v1/public-key");
            }
            finally
            {
                await first.StopKeepingDataAsync();
            }

            var rotate = await WitnessProcess.RunAsync(["signing-key", "rotate", .. storeArgs]);
            Assert.True(rotate.ExitCode == 0, rotate.ToString());
            var oldId = KeyIdOf(oldPem);
            Assert.Contains($"it replaced {oldId}", rotate.Output, StringComparison.Ordinal);

            await using var second = await RunningServer.StartAsync(Configure, data, sqliteOnly: database is null);
            using var api = await second.ClientForAsync(tenant);
            await Some.SendManyAsync(api, tenant, 7);
            var latest = await (await api.GetAsync("/v1/checkpoints/latest")).JsonAsync();
            Assert.Equal(19, latest.GetProperty("size").GetInt64());
            var newPem = await api.GetStringAsync("/v1/public-key");
            var newId = KeyIdOf(newPem);
            Assert.NotEqual(oldId, newId);

            var keys = (await (await api.GetAsync("/v1/public-keys")).JsonAsync()).GetProperty("keys").EnumerateArray().ToList();
            Assert.Equal([oldId, newId], keys.Select(k => k.GetProperty("key_id").GetString()));
            Assert.Equal(oldPem, keys[0].GetProperty("public_key_pem").GetString());
            Assert.False(keys[0].GetProperty("current").GetBoolean());
            Assert.Equal(JsonValueKind.String, keys[0].GetProperty("valid_until").ValueKind);
            Assert.Equal(keys[0].GetProperty("valid_until").GetString(), keys[1].GetProperty("valid_from").GetString());
            Assert.True(keys[1].GetProperty("current").GetBoolean());
            Assert.Equal(JsonValueKind.Null, keys[1].GetProperty("valid_until").ValueKind);
            Assert.Equal(newPem, keys[1].GetProperty("public_key_pem").GetString());

            var verified = await (await api.GetAsync("/v1/verify")).JsonAsync();
            Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
            Assert.True(verified.GetProperty("checkpoints_checked").GetInt32() >= 2, verified.ToString());
            var cli = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. storeArgs]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            Assert.Contains("19 events verified against", cli.Output, StringComparison.Ordinal);
            Assert.Contains("as of size 19", cli.Output, StringComparison.Ordinal);

            var export = Path.Combine(folder, "export.ndjson");
            await File.WriteAllTextAsync(export, await api.GetStringAsync("/v1/events/export?format=ndjson"));
            var oldKey = Path.Combine(folder, "old.pem");
            var newKey = Path.Combine(folder, "new.pem");
            await File.WriteAllTextAsync(oldKey, oldPem);
            await File.WriteAllTextAsync(newKey, newPem);

            var both = await WitnessProcess.RunAsync("verify", "--file", export, "--public-key", oldKey, "--public-key", newKey);
            Assert.True(both.ExitCode == 0, both.ToString());
            Assert.Contains("19 events verified", both.Output, StringComparison.Ordinal);

            var onlyNew = await WitnessProcess.RunAsync("verify", "--file", export, "--public-key", newKey);
            Assert.Equal(1, onlyNew.ExitCode);
            Assert.Contains($"the earlier checkpoint at size 12 in the header is signed by another key, {oldId}, which is not among the public keys given", onlyNew.Output, StringComparison.Ordinal);

            var onlyOld = await WitnessProcess.RunAsync("verify", "--file", export, "--public-key", oldKey);
            Assert.Equal(1, onlyOld.ExitCode);
            Assert.Contains($"the checkpoint in the header is signed by another key, {newId}, which is not among the public keys given", onlyOld.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (database is not null)
            {
                await database.DisposeAsync();
            }

            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task A_second_postgres_instance_with_a_key_the_store_does_not_know_is_refused_at_start_naming_the_known_key_and_the_rotate_command()
    {
        var folder = TempFolder.Create("witness-unknown-key");
        await using var database = await PostgresTestDatabase.CreateAsync();
        try
        {
            var shared = await WriteKeyAsync(Path.Combine(folder, "shared.pem"));
            var stray = await WriteKeyAsync(Path.Combine(folder, "stray.pem"));
            using var first = await WitnessProcess.ServeAsync(Path.Combine(folder, "a"), "--postgres", database.ConnectionString, "--signing-key", shared.File);

            var second = await WitnessProcess.RunAsync("serve", "--data", Path.Combine(folder, "b"), "--postgres", database.ConnectionString,
                "--signing-key", stray.File, "--urls", $"http://127.0.0.1:{WitnessProcess.FreePort()}");

            Assert.Equal(1, second.ExitCode);
            var line = Assert.Single(second.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("witness: cannot start: ", line, StringComparison.Ordinal);
            Assert.Contains($"signing key {stray.Id} is not registered in the store, whose keys are {shared.Id} (current)", line, StringComparison.Ordinal);
            Assert.Contains("witness signing-key rotate --new-key FILE", line, StringComparison.Ordinal);

            // The first instance is untouched, and a third one with the shared key starts.
            using var probe = new HttpClient { BaseAddress = first.Address };
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).StatusCode);
            using var third = await WitnessProcess.ServeAsync(Path.Combine(folder, "c"), "--postgres", database.ConnectionString, "--signing-key", shared.File);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task A_sqlite_data_folder_started_with_another_key_file_is_refused_and_starts_again_with_its_own()
    {
        var folder = TempFolder.Create("witness-unknown-key");
        try
        {
            var data = Path.Combine(folder, "data");
            var stray = await WriteKeyAsync(Path.Combine(folder, "stray.pem"));
            string ownId;
            using (var first = await WitnessProcess.ServeAsync(data))
            {
                using var probe = new HttpClient { BaseAddress = first.Address };
                ownId = KeyIdOf(await probe.GetStringAsync("/v1/public-key"));
            }

            var refused = await WitnessProcess.RunAsync("serve", "--data", data, "--signing-key", stray.File, "--urls", $"http://127.0.0.1:{WitnessProcess.FreePort()}");

            Assert.Equal(1, refused.ExitCode);
            Assert.Contains($"signing key {stray.Id} is not registered in the store, whose keys are {ownId} (current)", refused.Error, StringComparison.Ordinal);
            using var again = await WitnessProcess.ServeAsync(data);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task A_server_whose_key_was_rotated_while_it_ran_signs_nothing_and_says_so_until_restarted_with_the_new_key()
    {
        var data = TempFolder.Create("witness-rotate-running");
        try
        {
            var tenant = Some.Tenant();
            var server = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true);
            string oldId;
            try
            {
                using var client = await server.ClientForAsync(tenant);
                oldId = KeyIdOf(await client.GetStringAsync("/v1/public-key"));
                var newKey = await WriteKeyAsync(Path.Combine(data, "..", Path.GetFileName(data) + "-new.pem"));

                var rotate = await WitnessProcess.RunAsync("signing-key", "rotate", "--data", data, "--new-key", newKey.File);
                Assert.True(rotate.ExitCode == 0, rotate.ToString());
                Assert.Contains($"Signing key {newKey.Id} is now current; it replaced {oldId}", rotate.Output, StringComparison.Ordinal);
                Assert.True(File.Exists(Path.Combine(data, $"checkpoint-signing-key.pem.{oldId}.retired")));
                File.Delete(newKey.File);

                await Some.SendManyAsync(client, tenant, 3);
                var refused = await client.GetAsync("/v1/checkpoints/latest");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Contains($"signing key {oldId} is not the store's current key ({newKey.Id})", (await refused.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
                var signingKey = (await (await client.GetAsync("/healthz/ready")).JsonAsync()).GetProperty("checks").GetProperty("signing_key");
                Assert.Equal("Degraded", signingKey.GetProperty("status").GetString());
            }
            finally
            {
                await server.StopKeepingDataAsync();
            }

            await using var restarted = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true);
            using var again = await restarted.ClientForAsync(tenant);
            var latest = await (await again.GetAsync("/v1/checkpoints/latest")).JsonAsync();
            Assert.Equal(3, latest.GetProperty("size").GetInt64());
            var verified = await (await again.GetAsync("/v1/verify")).JsonAsync();
            Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    private static string KeyIdOf(string publicPem)
    {
        using var key = SigningKey.ImportPublicKeyPem(publicPem);
        return RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key));
    }

    private static async Task<(string File, string Id)> WriteKeyAsync(string path)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(path, key.ExportPkcs8PrivateKeyPem());
        return (path, RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key)));
    }
}
