using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Server.Secrets;
using Witness.Server.Tests.Support;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Tests.Webhooks;

/// <summary>Data files readable by their owner only, and webhook secrets encrypted in the store (issue 15, item 10).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretsAtRestTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task The_data_folder_is_0700_and_the_database_its_wal_and_every_key_file_0600()
    {
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        using var client = await server.ClientForAsync(Some.Tenant());
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event())).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CreateWebhookAsync(client)).StatusCode);

        Assert.Equal(DataFolderPermissions.Folder, File.GetUnixFileMode(server.DataDirectory));
        var files = Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        foreach (var name in new[] { "witness.db", "witness.db-wal", "witness.db-shm", "checkpoint-signing-key.pem" })
        {
            Assert.Contains(Path.Combine(server.DataDirectory, name), files);
        }

        Assert.Contains(files, f => f.Contains("console-keys", StringComparison.Ordinal) && f.EndsWith(".xml", StringComparison.Ordinal));
        Assert.All(files, f => Assert.True(File.GetUnixFileMode(f) == DataFolderPermissions.File, $"{f} is {File.GetUnixFileMode(f)}"));
    }

    [Fact]
    public async Task The_console_key_ring_made_as_the_server_starts_after_the_data_folder_was_restricted_is_0700_with_its_keys_0600()
    {
        // Data Protection makes the key ring when the host starts, after the data folder's permissions were set.
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        var keyRing = Path.Combine(server.DataDirectory, "console-keys");
        using var browser = server.Client();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/console/sign-in")).StatusCode);

        Assert.Equal(DataFolderPermissions.Folder, File.GetUnixFileMode(keyRing));
        var keys = Directory.GetFiles(keyRing);
        Assert.NotEmpty(keys);
        Assert.All(keys, f => Assert.Equal(DataFolderPermissions.File, File.GetUnixFileMode(f)));
    }

    [Fact]
    public async Task A_webhook_secret_is_stored_encrypted_and_still_signs()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = await server.ClientForAsync(Some.Tenant());
        var created = await CreateWebhookAsync(client);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        var tenant = (await created.JsonAsync()).GetProperty("tenant").GetString()!;

        var raw = await ((IWebhookStore)server.Store).FindWebhookAsync(tenant, id, CancellationToken.None);
        Assert.StartsWith(SecretProtector.Prefix, raw!.Secret);
        Assert.DoesNotContain(Secret["whsec_".Length..], raw.Secret);
        var used = await server.Services.GetRequiredService<IWebhookStore>().FindWebhookAsync(tenant, id, CancellationToken.None);
        Assert.Equal(Secret, used!.Secret);
    }

    [Fact]
    public async Task A_secret_stored_in_plaintext_before_encryption_is_encrypted_at_the_next_start_and_keeps_working()
    {
        var data = TempFolder.Create("witness-secrets");
        try
        {
            var tenant = Some.Tenant();
            var first = await RunningServer.StartAsync(dataDirectory: data);
            using (var client = await first.ClientForAsync(tenant))
            {
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event(tenant))).StatusCode);
            }

            var old = new Webhook
            {
                Id = "wh_plaintext",
                Tenant = tenant,
                Url = "https://hooks.example.com/witness",
                Secret = Secret,
                EventTypes = [WebhookEventTypes.AlertFired],
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            };
            await ((IWebhookStore)first.Store).SaveWebhookAsync(old, CancellationToken.None);
            await first.StopKeepingDataAsync();
            if (!RunningServer.OnPostgres)
            {
                File.SetUnixFileMode(Path.Combine(data, "witness.db"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            await using var second = await RunningServer.StartAsync(dataDirectory: data);
            var raw = await ((IWebhookStore)second.Store).FindWebhookAsync(tenant, old.Id, CancellationToken.None);
            Assert.StartsWith(SecretProtector.Prefix, raw!.Secret);
            Assert.Equal(Secret, (await second.Services.GetRequiredService<IWebhookStore>().FindWebhookAsync(tenant, old.Id, CancellationToken.None))!.Secret);
            if (!RunningServer.OnPostgres)
            {
                Assert.Equal(DataFolderPermissions.File, File.GetUnixFileMode(Path.Combine(data, "witness.db")));
            }
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    private static Task<HttpResponseMessage> CreateWebhookAsync(HttpClient client) =>
        client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = "https://hooks.example.com/witness",
            ["secret"] = Secret,
            ["event_types"] = new JsonArray("alert.fired"),
        }));
}
