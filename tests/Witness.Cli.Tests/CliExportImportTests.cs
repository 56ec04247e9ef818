using System.Text.Json;
using System.Text.Json.Nodes;

namespace Witness.Cli.Tests;

/// <summary><c>witness export</c> and <c>witness import</c> run as processes against a server's data folder or its API.</summary>
public sealed class CliExportImportTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _folder = TempFolder.Create("witness-cli-export");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempFolder.Delete(_folder);
    }

    [Fact]
    public async Task Witness_export_writes_every_format_from_the_data_folder_and_records_the_export()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 25, i => Some.Event(tenant, i < 10 ? "team.create" : "inbox.create", e => e["actor"]!["name"] = "Zoë Ångström"));

        var ndjson = Path.Combine(_folder, "export.ndjson");
        var run = await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", tenant, "--format", "ndjson", "--action", "team.create", "--out", ndjson]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Exported 10 events", run.Output);
        var key = Path.Combine(_folder, "key.pem");
        await File.WriteAllTextAsync(key, await client.GetStringAsync("/v1/public-key"));
        var verified = await WitnessProcess.RunAsync("verify", "--file", ndjson, "--public-key", key);
        Assert.True(verified.ExitCode == 0, verified.ToString());

        var csv = Path.Combine(_folder, "export.csv");
        Assert.Equal(0, (await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", tenant, "--format", "csv", "--out", csv])).ExitCode);
        var rows = CsvRecords.Read(await File.ReadAllBytesAsync(csv));
        // A header, the 25 events, and the recorded NDJSON export before it.
        Assert.Equal(27, rows.Count);
        Assert.Equal("audit_log.export", rows[1][5]);
        Assert.All(rows.Skip(2), row => Assert.Equal("Zoë Ångström", row[2]));

        var pdf = Path.Combine(_folder, "export.pdf");
        Assert.Equal(0, (await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", tenant, "--format", "pdf", "--out", pdf])).ExitCode);
        Assert.Contains(tenant, await PdfText.ExtractAsync(await File.ReadAllBytesAsync(pdf)));

        var recorded = await (await client.GetAsync("/v1/events?action=audit_log.export")).JsonAsync();
        var formats = recorded.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("metadata").GetProperty("format").GetString()).ToList();
        Assert.Equal(["pdf", "csv", "ndjson"], formats);
        Assert.Equal("witness-cli", recorded.GetProperty("events")[0].GetProperty("actor").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Witness_export_with_a_bad_filter_names_it_and_writes_no_file()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Event(tenant));
        var output = Path.Combine(_folder, "never.csv");

        var run = await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", tenant, "--format", "csv", "--from", "last-tuesday", "--out", output]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("from=last-tuesday", run.Error);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_folder, "*.partial"));
    }

    [Fact]
    public async Task Witness_import_loads_an_export_into_another_tenant_and_a_second_run_adds_nothing()
    {
        var source = Some.Tenant();
        var target = Some.Tenant();
        using var sourceClient = await _server.ClientForAsync(source);
        using var targetClient = await _server.ClientForAsync(target);
        await Some.SendManyAsync(sourceClient, source, 1500, i => Some.Event(source, change: e => e["description"] = $"Event {i} – café"));
        var file = Path.Combine(_folder, "source.ndjson");
        await File.WriteAllTextAsync(file, await sourceClient.GetStringAsync("/v1/events/export?format=ndjson"));

        var first = await WitnessProcess.RunAsync(["import", file, "--tenant", target, .. _server.StoreArgs()]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"Imported 1500 events into tenant '{target}'; 0 were already there; 0 rejected.", first.Output);

        var second = await WitnessProcess.RunAsync(["import", file, "--tenant", target, .. _server.StoreArgs()]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Imported 0 events", second.Output);
        Assert.Contains("1500 were already there", second.Output);

        var imported = JsonDocument.Parse(await targetClient.GetStringAsync("/v1/events/export?format=json")).RootElement;
        Assert.Equal(1500, imported.GetArrayLength());
        Assert.All(imported.EnumerateArray(), e => Assert.Equal(target, e.GetProperty("tenant").GetString()));
        Assert.Contains(imported.EnumerateArray(), e => e.GetProperty("description").GetString() == "Event 7 – café");
    }

    [Fact]
    public async Task Witness_import_reports_each_bad_line_with_its_number_and_field_and_imports_nothing()
    {
        var tenant = Some.Tenant();
        var file = Path.Combine(_folder, "bad.ndjson");
        await File.WriteAllLinesAsync(file,
        [
            Some.Event(change: e => e.Remove("tenant")).ToJsonString(),
            Some.Event(action: "Not An Action!").ToJsonString(),
            "{ this is not json",
            "",
            Some.Event(change: e => e["occurred_at"] = "yesterday").ToJsonString(),
        ]);

        var run = await WitnessProcess.RunAsync(["import", file, "--tenant", tenant, .. _server.StoreArgs()]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("line 2: action:", run.Error);
        Assert.Contains("line 3: line: not valid JSON", run.Error);
        Assert.Contains("line 5: occurred_at:", run.Error);
        Assert.DoesNotContain("line 1:", run.Error);
        Assert.Contains("nothing was imported", run.Error);
        Assert.Null(await _server.Store.GetFrontierAsync(tenant, CancellationToken.None));
    }

    [Fact]
    public async Task Witness_import_through_the_api_gives_plain_events_stable_ids_so_it_can_be_run_again()
    {
        var tenant = Some.Tenant();
        var key = await _server.CreateKeyAsync(tenant, "events:write", "events:read");
        var file = Path.Combine(_folder, "plain.ndjson");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 30).Select(i => new JsonObject
        {
            ["action"] = "user.login",
            ["type"] = "access",
            ["occurred_at"] = $"2023-06-01T10:{i:D2}:00Z",
            ["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u{i}", ["email"] = $"u{i}@example.com" },
        }.ToJsonString()));

        var first = await WitnessProcess.RunAsync("import", file, "--tenant", tenant, "--url", _server.Address.ToString(), "--key", key);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Imported 30 events", first.Output);
        var second = await WitnessProcess.RunAsync("import", file, "--tenant", tenant, "--url", _server.Address.ToString(), "--key", key);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("30 were already there", second.Output);
        Assert.Equal(30, (await _server.Store.GetFrontierAsync(tenant, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task An_event_sent_through_the_api_or_imported_from_the_data_folder_or_the_url_is_stored_alike()
    {
        string[] tenants = [Some.Tenant(), Some.Tenant(), Some.Tenant()];
        var entry = new JsonObject
        {
            ["category"] = "Widgets",
            ["type"] = "access",
            ["crud"] = "create",
            ["template"] = "Created widget {{target.name}}",
            ["description"] = "Create widget",
        };
        foreach (var tenant in tenants)
        {
            using var admin = await _server.ClientForAsync(tenant, "admin");
            Assert.True((await admin.PutAsync("/v1/actions/widget.create", Some.Json(entry))).IsSuccessStatusCode);
        }

        // No category, type or description: the tenant's own catalog entry fills them in.
        var sent = new JsonObject
        {
            ["id"] = "same-event-1",
            ["action"] = "widget.create",
            ["occurred_at"] = "2023-06-22T15:06:00Z",
            ["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_17", ["name"] = "Ada Admin", ["email"] = "ada@acme.example" },
            ["targets"] = new JsonArray(new JsonObject { ["type"] = "widget", ["id"] = "w1", ["name"] = "Blue" }),
        };
        using (var writer = await _server.ClientForAsync(tenants[0]))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, (await writer.PostAsync(sent)).StatusCode);
        }

        var file = Path.Combine(_folder, "same-event.ndjson");
        await File.WriteAllTextAsync(file, sent.ToJsonString() + "\n");
        var fromData = await WitnessProcess.RunAsync(["import", file, "--tenant", tenants[1], .. _server.StoreArgs()]);
        Assert.True(fromData.ExitCode == 0, fromData.ToString());
        var key = await _server.CreateKeyAsync(tenants[2], "events:write");
        var fromUrl = await WitnessProcess.RunAsync("import", file, "--tenant", tenants[2], "--url", _server.Address.ToString(), "--key", key);
        Assert.True(fromUrl.ExitCode == 0, fromUrl.ToString());

        var stored = new List<string>();
        foreach (var tenant in tenants)
        {
            using var reader = await _server.ClientForAsync(tenant);
            var e = JsonNode.Parse(await reader.GetStringAsync("/v1/events/same-event-1"))!.AsObject();
            Assert.Equal("Widgets", (string?)e["category"]);
            Assert.Equal("access", (string?)e["type"]);
            Assert.Equal("Created widget Blue", (string?)e["description"]);
            // What differs by tenant and arrival; everything else is the event as stored and hashed.
            foreach (var own in new[] { "tenant", "seq", "hash", "received_at" })
            {
                e.Remove(own);
            }

            stored.Add(e.ToJsonString());
        }

        Assert.Equal(stored[0], stored[1]);
        Assert.Equal(stored[0], stored[2]);
    }
}
