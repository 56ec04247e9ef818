using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Witness.Server.Secrets;

namespace Witness.Cli.Tests;

/// <summary>
/// Issue 21 item 3: <c>witness backup</c> while a real <c>witness serve</c> ingests, <c>witness restore</c>
/// into a new folder, and the restored store verifies against a checkpoint kept from before the backup.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BackupRestoreTests : IDisposable
{
    private const string Tenant = "acme";
    private readonly string _work = TempFolder.Create("witness-backup");

    public void Dispose() => TempFolder.Delete(_work);

    [Fact]
    public async Task A_sealed_backup_taken_during_ingest_restores_into_a_store_that_verifies_against_a_checkpoint_signed_before_it()
    {
        var data = Path.Combine(_work, "data");
        var created = await WitnessProcess.RunAsync("keys", "create", "--tenant", Tenant, "--scopes", "events:write", "events:read", "--data", data);
        Assert.True(created.ExitCode == 0, created.ToString());
        using var serve = await WitnessProcess.ServeAsync(data);
        using var client = new HttpClient { BaseAddress = serve.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Output.Trim().Split('\n')[^1].Trim());

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Batch(Enumerable.Range(0, 400).Select(_ => Some.Event())))).StatusCode);
        }

        // A checkpoint kept outside, as an auditor would, before the backup (one is signed every 1,000 events).
        var note = Path.Combine(_work, "checkpoint.json");
        await File.WriteAllTextAsync(note, await Eventually.GetAsync(async () =>
        {
            using var latest = await client.GetAsync("/v1/checkpoints/latest");
            return latest.IsSuccessStatusCode ? await latest.Content.ReadAsStringAsync() : null;
        }, "a signed checkpoint"));

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync(Some.Batch(Enumerable.Range(0, 50).Select(_ => Some.Event())));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                sent += 50;
            }

            return sent;
        })).ToList();
        await Task.Delay(300);

        var passphrase = Path.Combine(_work, "passphrase");
        await File.WriteAllTextAsync(passphrase, "correct horse battery staple\n");
        var archive = Path.Combine(_work, "witness.backup");
        var backup = await WitnessProcess.RunAsync("backup", "--out", archive, "--passphrase-file", passphrase, "--data", data);
        await stop.CancelAsync();
        var sentDuring = (await Task.WhenAll(writers)).Sum();
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("sealed with the passphrase", backup.Output);
        Assert.True(sentDuring > 0, "no events were sent while the backup ran");
        Assert.Equal(DataFolderPermissions.File, File.GetUnixFileMode(archive));
        Assert.DoesNotContain("PRIVATE KEY", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(archive)));

        var restored = Path.Combine(_work, "restored");
        var wrongPassphrase = Path.Combine(_work, "wrong");
        await File.WriteAllTextAsync(wrongPassphrase, "incorrect horse");
        var wrong = await WitnessProcess.RunAsync("restore", archive, "--data", restored, "--passphrase-file", wrongPassphrase);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("witness restore: cannot open the backup: the passphrase is wrong", wrong.Error);
        Assert.Single(wrong.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(restored));

        var restore = await WitnessProcess.RunAsync("restore", archive, "--data", restored, "--passphrase-file", passphrase);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(DataFolderPermissions.Folder, File.GetUnixFileMode(restored));
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(data, "checkpoint-signing-key.pem")),
            await File.ReadAllTextAsync(Path.Combine(restored, "checkpoint-signing-key.pem")));
        Assert.True(Directory.EnumerateFiles(Path.Combine(restored, "console-keys")).Any(), "the console key ring was not restored");

        var verify = await WitnessProcess.RunAsync("verify", "--tenant", Tenant, "--data", restored, "--checkpoint", note);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("and 1 kept outside", verify.Output);

        var intoFull = await WitnessProcess.RunAsync("restore", archive, "--data", restored, "--passphrase-file", passphrase);
        Assert.Equal(2, intoFull.ExitCode);
        Assert.Contains("is not empty", intoFull.Error);
    }

    [Fact]
    public async Task A_plain_backup_holds_every_key_file_of_the_data_folder_and_an_outside_signing_key_and_refuses_postgres()
    {
        var data = Path.Combine(_work, "data");
        var outside = Path.Combine(_work, "keys");
        Directory.CreateDirectory(outside);
        await using (var server = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true))
        {
            using var client = await server.ClientForAsync(Tenant);
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event())).StatusCode);
        }

        // A second key in the folder (as a rotated one would be) and the shared key file kept elsewhere.
        File.Copy(Path.Combine(data, "checkpoint-signing-key.pem"), Path.Combine(data, "checkpoint-signing-key.2026-01.pem"));
        var sharedKey = Path.Combine(outside, "shared-signing-key.pem");
        File.Copy(Path.Combine(data, "checkpoint-signing-key.pem"), sharedKey);
        File.Copy(sharedKey, sharedKey + ".k0123456789.retired");

        var archive = Path.Combine(_work, "plain.tar");
        var backup = await WitnessProcess.RunAsync("backup", "--out", archive, "--data", data, "--signing-key", sharedKey);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("not encrypted", backup.Output);
        var names = new List<string>();
        await using (var stream = File.OpenRead(archive))
        {
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name);
            }
        }

        Assert.Contains("data/witness.db", names);
        Assert.Contains("data/checkpoint-signing-key.pem", names);
        Assert.Contains("data/checkpoint-signing-key.2026-01.pem", names);
        Assert.Contains("signing-key/shared-signing-key.pem", names);
        Assert.Contains("signing-key/shared-signing-key.pem.k0123456789.retired", names);
        Assert.Contains(names, n => n.StartsWith("data/console-keys/", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.EndsWith("-wal", StringComparison.Ordinal) || n.EndsWith("-shm", StringComparison.Ordinal));

        var restored = Path.Combine(_work, "restored");
        var restore = await WitnessProcess.RunAsync("restore", archive, "--data", restored);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"--signing-key {Path.Combine(restored, "shared-signing-key.pem")}", restore.Output);
        var verify = await WitnessProcess.RunAsync("verify", "--tenant", Tenant, "--data", restored);
        Assert.True(verify.ExitCode == 0, verify.ToString());

        var postgres = await WitnessProcess.RunAsync("backup", "--out", archive, "--postgres", "Host=127.0.0.1;Database=none");
        Assert.Equal(2, postgres.ExitCode);
        Assert.Contains("pg_dump", postgres.Error);
    }
}
