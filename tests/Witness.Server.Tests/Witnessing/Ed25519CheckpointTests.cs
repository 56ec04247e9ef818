using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Witnessing;

public sealed class Ed25519CheckpointTests
{
    [Fact]
    public async Task Go_sumdb_note_verifies_a_tenant_checkpoint_with_the_ed25519_verifier_key_signing_key_show_prints()
    {
        await using var server = await RunningServer.StartAsync(o => o.Origin = "audit.example.com");
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 5);
        var latest = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var note = latest.GetProperty("note").GetString()!;
        Assert.StartsWith($"audit.example.com/tenants/{tenant}\n5\n", note);

        var show = await WitnessProcess.RunAsync("signing-key", "show", "--data", server.DataDirectory, "--origin", "audit.example.com");
        Assert.True(show.ExitCode == 0, show.ToString());
        var keys = show.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        Assert.StartsWith("audit.example.com+", keys["ed25519"]);
        Assert.StartsWith("audit.example.com+", keys["ecdsa-p256"]);

        var (exit, output) = await GoChecker.RunAsync("note", keys["ed25519"], GoChecker.WriteNote(note));
        Assert.True(exit == 0, output);
        Assert.Equal($"OK audit.example.com/tenants/{tenant} 5", output);

        // A note changed after signing does not verify.
        var (forgedExit, forged) = await GoChecker.RunAsync("note", keys["ed25519"], GoChecker.WriteNote(note.Replace("\n5\n", "\n6\n", StringComparison.Ordinal)));
        Assert.Equal(1, forgedExit);
        Assert.StartsWith("FAIL", forged);
    }

    [Fact]
    public async Task A_server_with_the_default_origin_keeps_its_log_names_and_its_checkpoints_keep_verifying()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 3);
        var note = (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("note").GetString()!;
        Assert.StartsWith($"witness/{tenant}\n3\n", note);
        Assert.Equal(2, note.Split('\n').Count(l => l.StartsWith("\u2014 witness ", StringComparison.Ordinal)));

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        var cli = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. server.StoreArgs()]);
        Assert.True(cli.ExitCode == 0, cli.ToString());
    }

    [Fact]
    public async Task The_backup_of_a_store_holds_the_ed25519_key_and_a_restore_signs_with_it_again()
    {
        var folder = TempFolder.Create("witness-ed25519-backup");
        try
        {
            var data = Path.Combine(folder, "data");
            string before;
            await using (var server = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true))
            {
                before = (await WitnessProcess.RunAsync("signing-key", "show", "--data", data)).Output;
            }

            var archive = Path.Combine(folder, "backup.tar");
            var backup = await WitnessProcess.RunAsync("backup", "--data", data, "--out", archive);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            var restored = Path.Combine(folder, "restored");
            var restore = await WitnessProcess.RunAsync("restore", archive, "--data", restored);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            Assert.True(File.Exists(Path.Combine(restored, "checkpoint-signing-key.pem.ed25519")));
            var after = await WitnessProcess.RunAsync("signing-key", "show", "--data", restored);
            Assert.Equal(before, after.Output);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
