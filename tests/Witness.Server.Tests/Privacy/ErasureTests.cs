using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Export;
using Witness.Integrity;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Privacy;

/// <summary>
/// Erasing a person (docs/erasure.md) on SQLite and PostgreSQL, over HTTP and through <c>witness erase</c>:
/// every surface shows <c>[erased]</c>, the value is gone from the SQLite files, and every proof, the log's
/// verification and exports taken before and after still verify.
/// </summary>
public sealed class ErasureTests
{
    private const string Email = "Erin.Subject@example.com";
    private const string Ip = "198.51.100.77";

    private static JsonObject SubjectEvent(string id = "u_erin", string email = Email) =>
        Some.Event(change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = id, ["name"] = "Erin Subject", ["email"] = email };
            e["context"] = new JsonObject
            {
                ["ip"] = Ip, ["user_agent"] = "ErinBrowser/2.0", ["location"] = new JsonObject { ["country"] = "DE", ["city"] = "Bonn" },
            };
        });

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Erasing_by_email_shows_erased_everywhere_and_every_proof_and_export_still_verifies(string storeKind)
    {
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        await using var server = await RunningServer.StartAsync(o => o.PostgresConnectionString = database?.ConnectionString, sqliteOnly: database is null);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 8, i => i % 2 == 0 ? SubjectEvent() : Some.Event());
        var subjectEvent = (await (await client.GetAsync("/v1/events?limit=50")).JsonAsync()).GetProperty("events").EnumerateArray()
            .First(e => e.GetProperty("actor").GetProperty("id").GetString() == "u_erin");
        var id = subjectEvent.GetProperty("id").GetString()!;
        var hashBefore = subjectEvent.GetProperty("hash").GetString();
        var exportBefore = await client.GetStringAsync("/v1/events/export?format=ndjson");
        Assert.Contains(Ip, exportBefore, StringComparison.Ordinal);

        var response = await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = "erin.subject@EXAMPLE.com" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.JsonAsync();
        Assert.Equal(4, answer.GetProperty("events").GetInt64());
        Assert.Equal(0, answer.GetProperty("kept_version1").GetInt64());

        // The database files hold no byte of the erased email, name or IP once the call has returned.
        if (database is null)
        {
            foreach (var file in Directory.GetFiles(server.DataDirectory, "witness.db*"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                foreach (var secret in new[] { Email, Email.ToLowerInvariant(), "Erin Subject", Ip, "ErinBrowser" })
                {
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} still holds '{secret}'");
                }
            }
        }

        var shown = await (await client.GetAsync($"/v1/events/{id}")).JsonAsync();
        Assert.Equal("[erased]", shown.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("[erased]", shown.GetProperty("actor").GetProperty("email").GetString());
        Assert.Equal("[erased]", shown.GetProperty("context").GetProperty("ip").GetString());
        Assert.Equal("[erased]", shown.GetProperty("context").GetProperty("user_agent").GetString());
        Assert.Equal("[erased]", shown.GetProperty("context").GetProperty("location").GetProperty("city").GetString());
        Assert.Equal(hashBefore, shown.GetProperty("hash").GetString());

        Assert.Empty((await (await client.GetAsync("/v1/events?q=" + Uri.EscapeDataString("actor:" + Email))).JsonAsync()).GetProperty("events").EnumerateArray());
        Assert.Empty((await (await client.GetAsync("/v1/events?actor=" + Uri.EscapeDataString(Email))).JsonAsync()).GetProperty("events").EnumerateArray());
        Assert.Empty((await (await client.GetAsync("/v1/events?ip=" + Ip)).JsonAsync()).GetProperty("events").EnumerateArray());

        var record = (await (await client.GetAsync("/v1/events?action=privacy.erase")).JsonAsync()).GetProperty("events").EnumerateArray().Single();
        Assert.Equal(answer.GetProperty("record_seq").GetInt64(), record.GetProperty("seq").GetInt64());
        Assert.Equal("email", record.GetProperty("metadata").GetProperty("subject").GetString());
        Assert.DoesNotContain("erin", record.GetRawText(), StringComparison.OrdinalIgnoreCase);

        foreach (var format in new[] { "csv", "json", "ndjson" })
        {
            var export = await client.GetStringAsync($"/v1/events/export?format={format}");
            Assert.Contains("[erased]", export, StringComparison.Ordinal);
            Assert.DoesNotContain("Erin Subject", export, StringComparison.Ordinal);
            Assert.DoesNotContain(Ip, export, StringComparison.Ordinal);
        }

        // The PDF report is drawn from the same bodies: its table and summary show the erased actor as [erased].
        var pdf = await PdfText.ExtractAsync(await client.GetByteArrayAsync("/v1/events/export?format=pdf"));
        Assert.Contains("[erased]", pdf, StringComparison.Ordinal);
        foreach (var secret in new[] { Email, Email.ToLowerInvariant(), "Erin Subject", Ip })
        {
            Assert.DoesNotContain(secret, pdf, StringComparison.Ordinal);
        }

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());

        var proof = await (await client.GetAsync($"/v1/events/{id}/proof")).JsonAsync();
        var leaf = Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!);
        var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(shown));
        Assert.Equal(leaf, MerkleHash.Leaf(Witness.Events.PersonalValues.Leaf(canonical, Convert.FromBase64String(proof.GetProperty("personal").GetString()!))));
        var checkpoint = Checkpoint.ParseBody(NoteBody(proof.GetProperty("checkpoint").GetProperty("note").GetString()!));
        Assert.True(MerkleVerifier.VerifyInclusion(leaf, proof.GetProperty("leaf_index").GetInt64(), checkpoint.Size,
            [.. proof.GetProperty("proof").EnumerateArray().Select(p => Convert.FromHexString(p.GetString()!))], checkpoint.RootHash));

        using var publicKey = SigningKey.ImportPublicKeyPem(await client.GetStringAsync("/v1/public-key"));
        var before = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(exportBefore)), publicKey, CancellationToken.None);
        Assert.True(before.Ok, before.Problem);
        var after = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(await client.GetStringAsync("/v1/events/export?format=ndjson"))), publicKey, CancellationToken.None);
        Assert.True(after.Ok, after.Problem);
        var filtered = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(await client.GetStringAsync("/v1/events/export?format=ndjson&actor=u_erin"))), publicKey, CancellationToken.None);
        Assert.True(filtered.Ok, filtered.Problem);
    }

    [Fact]
    public async Task Erasing_forgets_the_counts_by_IP_of_the_filled_days_so_the_SQLite_files_hold_no_byte_of_the_erased_IPs_key()
    {
        await using var server = await RunningServer.StartAsync(o => o.KeyDayFillInterval = TimeSpan.FromMilliseconds(100), sqliteOnly: true);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        // Three days ago: a closed day, which the server's loop fills with its counts by IP (the IP's 16-byte key).
        var day = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(-3);
        await Some.SendManyAsync(client, tenant, 6, i =>
        {
            var e = i % 2 == 0 ? SubjectEvent() : Some.Event();
            e["occurred_at"] = day.AddHours(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            return e;
        });
        var key = Witness.Search.IpRange.Key(IPAddress.Parse(Ip));
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "witness.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM ip_slot_counts WHERE ip = $key";
            command.Parameters.AddWithValue("$key", key);
            long rows = 0;
            for (var i = 0; i < 600 && rows == 0; i++)
            {
                rows = (long)(await command.ExecuteScalarAsync())!;
                await Task.Delay(rows == 0 ? 100 : 0);
            }

            Assert.True(rows > 0, "the fill loop did not count the subject's IP");
        }

        var response = await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = Email }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // No count keeps the erased IP: its days were forgotten (and filled again from the erased events, which have none).
        foreach (var file in Directory.GetFiles(server.DataDirectory, "witness.db*"))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(key) < 0, $"{Path.GetFileName(file)} still holds the erased IP's key");
        }

        var stats = await (await client.GetAsync($"/v1/events/stats?ip={Ip}&from={day:yyyy-MM-dd}T00:00:00Z&to={day.AddDays(1):yyyy-MM-dd}T00:00:00Z")).JsonAsync();
        Assert.Equal(0, stats.GetProperty("events").GetInt64());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Witness_erase_by_actor_id_counts_the_events_and_a_changed_commitment_is_named_by_verify(string storeKind)
    {
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        var data = TempFolder.Create("witness-erase");
        try
        {
            void Configure(WitnessServerOptions o) => o.PostgresConnectionString = database?.ConnectionString;
            string[] storeArgs = database is null ? ["--data", data] : ["--data", data, "--postgres", database.ConnectionString];
            var tenant = Some.Tenant();
            var first = await RunningServer.StartAsync(Configure, data, sqliteOnly: database is null);
            try
            {
                using var client = await first.ClientForAsync(tenant);
                await Some.SendManyAsync(client, tenant, 9, i => i % 3 == 0 ? SubjectEvent(email: $"erin{i}@example.com") : Some.Event());
            }
            finally
            {
                await first.StopKeepingDataAsync();
            }

            var neither = await WitnessProcess.RunAsync(["erase", "--tenant", tenant, .. storeArgs]);
            Assert.True(neither.ExitCode == 2, neither.ToString());
            Assert.Contains("--email", neither.Error, StringComparison.Ordinal);
            var both = await WitnessProcess.RunAsync(["erase", "--tenant", tenant, "--email", "a@b.c", "--actor-id", "x", .. storeArgs]);
            Assert.Equal(2, both.ExitCode);

            var erase = await WitnessProcess.RunAsync(["erase", "--tenant", tenant, "--actor-id", "u_erin", .. storeArgs]);
            Assert.True(erase.ExitCode == 0, erase.ToString());
            Assert.Contains("Erased the personal values of 3 events", erase.Output, StringComparison.Ordinal);

            var verified = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. storeArgs]);
            Assert.True(verified.ExitCode == 0, verified.ToString());

            await using (var second = await RunningServer.StartAsync(Configure, data, sqliteOnly: database is null))
            {
                using var client = await second.ClientForAsync(tenant);
                var events = (await (await client.GetAsync("/v1/events?actor=u_erin")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
                Assert.Equal(3, events.Count);
                Assert.All(events, e => Assert.Equal("[erased]", e.GetProperty("actor").GetProperty("email").GetString()));
                var record = (await (await client.GetAsync("/v1/events?action=privacy.erase")).JsonAsync()).GetProperty("events").EnumerateArray().Single();
                Assert.Equal("actor_id", record.GetProperty("metadata").GetProperty("subject").GetString());
                Assert.Equal(3, record.GetProperty("metadata").GetProperty("events").GetInt64());
                await second.StopKeepingDataAsync();
            }

            // Someone with write access changes a kept commitment: verification fails and names the event.
            // Someone with write access changes the kept commitments of seq 1 (an erased event: 0x02 + 6 × 32 bytes).
            var commitments = "02" + string.Concat(Enumerable.Repeat("ab", 192));
            if (database is null)
            {
                await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "witness.db")};Pooling=False");
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = $"UPDATE events SET personal = x'{commitments}' WHERE seq = 1 AND tenant_id = (SELECT id FROM tenants WHERE name = '{tenant}')";
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }
            else
            {
                await database.ScalarAsync($"UPDATE events SET personal = '\\x{commitments}'::bytea WHERE seq = 1 AND tenant_id = (SELECT id FROM tenants WHERE name = '{tenant}')");
            }

            var tampered = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. storeArgs]);
            Assert.True(tampered.ExitCode == 1, tampered.ToString());
            Assert.Contains("first bad seq: 1", tampered.Output + tampered.Error, StringComparison.Ordinal);
            Assert.Contains("personal record", tampered.Output + tampered.Error, StringComparison.Ordinal);
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    [Fact]
    public async Task A_log_written_before_leaf_version_2_still_verifies_and_its_old_events_are_kept_by_an_erasure()
    {
        // A data folder written by the previous release (leaf = body): 13 events of tenant acme, 6 by olga.oldform@example.com.
        var data = TempFolder.Create("witness-leaf-v1");
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "leaf-v1")))
            {
                File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
            }

            var verified = await WitnessProcess.RunAsync("verify", "--tenant", "acme", "--data", data);
            Assert.True(verified.ExitCode == 0, verified.ToString());

            await using var server = await RunningServer.StartAsync(dataDirectory: data, sqliteOnly: true);
            using var client = await server.ClientForAsync("acme");
            await client.PostAsync(SubjectEvent(id: "u_old", email: "olga.oldform@example.com"));
            var answer = await (await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = "olga.oldform@example.com" }))).JsonAsync();
            Assert.Equal(1, answer.GetProperty("events").GetInt64());
            Assert.Equal(6, answer.GetProperty("kept_version1").GetInt64());

            var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
            Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
            var old = await (await client.GetAsync("/v1/events/old-0")).JsonAsync();
            Assert.Equal("Olga Oldform", old.GetProperty("actor").GetProperty("name").GetString());
            using var publicKey = SigningKey.ImportPublicKeyPem(await client.GetStringAsync("/v1/public-key"));
            var export = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(await client.GetStringAsync("/v1/events/export?format=ndjson"))), publicKey, CancellationToken.None);
            Assert.True(export.Ok, export.Problem);
            await server.StopKeepingDataAsync();
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    [Fact]
    public async Task A_bad_erase_request_is_refused_as_problem_json_naming_the_field_and_needs_the_admin_scope()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        using var admin = await server.ClientForAsync(tenant);
        foreach (var (body, field) in new[]
        {
            ("{}", "email"), ("{\"email\":\"a@b.c\",\"actor_id\":\"u\"}", "actor_id"), ("{\"email\":\"not an email\"}", "email"),
            ("{\"email\":7}", "email"), ("{\"actor_id\":\"\"}", "actor_id"), ("{\"name\":\"Erin\"}", "name"), ("[1]", "body"),
        })
        {
            var response = await admin.PostAsync("/v1/subjects/erase", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var reader = await server.ClientForAsync(tenant, "events:read", "events:write");
        var refused = await reader.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = "a@b.c" }));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Empty((await (await admin.GetAsync("/v1/events?action=privacy.erase")).JsonAsync()).GetProperty("events").EnumerateArray());
    }

    private static string NoteBody(string note) => note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
}
