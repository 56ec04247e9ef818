using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Checkpoints;
using Witness.Export;
using Witness.Export.Pdf;
using Witness.Search;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Export;

public sealed class ExportApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Csv_export_reads_back_with_every_column_accents_and_a_bom()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Batch([
            Some.Event(tenant, change: e =>
            {
                e["id"] = "evt-older";
                e["occurred_at"] = "2023-06-21T09:00:00Z";
                e["actor"]!["name"] = "Zoë Ångström-Núñez";
                e["reason"] = null;
            }),
            Some.Event(tenant, action: "user.login", change: e =>
            {
                e["id"] = "evt-newer";
                e["type"] = "access";
                e["category"] = "Authentication";
                e["outcome"] = "failure";
                e["reason"] = "Wrong password";
                e["description"] = "Failed login for Zoë";
            }),
        ]));

        var response = await client.GetAsync("/v1/events/export?format=csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);

        var rows = CsvRecords.Read(bytes);
        Assert.Equal(CsvExportWriter.Columns.Select(c => c == "Local time" ? "Local time (UTC)" : c), rows[0]);
        Assert.Equal(3, rows.Count);
        var newer = Row(rows, 1);
        var older = Row(rows, 2);
        Assert.Equal("evt-newer", newer["Event ID"]);
        Assert.Equal("Failed login for Zoë", newer["Description"]);
        Assert.Equal("failure", newer["Outcome"]);
        Assert.Equal("Wrong password", newer["Reason"]);
        Assert.Equal("access", newer["Type"]);
        Assert.Equal("evt-older", older["Event ID"]);
        Assert.Equal("2023-06-21T09:00:00.000000Z", older["Time (UTC)"]);
        Assert.Equal("Zoë Ångström-Núñez", older["User"]);
        Assert.Equal("user@cognigy.com", older["Email"]);
        Assert.Equal("Administrator", older["Role"]);
        Assert.Equal("inbox.create", older["Action"]);
        Assert.Equal("Inboxes", older["Category"]);
        Assert.Equal("203.0.113.7", older["IP"]);
        Assert.Equal("IT", older["Country"]);
        Assert.Equal("Mozilla/5.0", older["User agent"]);
        Assert.StartsWith("inbox:", older["Targets"]);
        Assert.EndsWith("(Support)", older["Targets"]);
        Assert.Equal("{\"before\":{\"name\":\"Support\"},\"after\":{\"name\":\"Help desk\"}}", older["Changes"]);
        Assert.Equal("1", older["Seq"]);
        var stored = await (await client.GetAsync("/v1/events/evt-older")).JsonAsync();
        Assert.Equal(stored.GetProperty("hash").GetString(), older["Hash"]);
    }

    [Fact]
    public async Task Formula_cells_are_neutralized_with_a_quote_and_unicode_cells_come_back_unchanged()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        string[] formulas = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd|' /C calc'!A0", "\tTAB", "\rCR", "\nLF", "=HYPERLINK(\"http://evil.example\",\"x\")"];
        string[] unicode = ["Zoë Ångström", "Łódź – São Paulo", "日本語のテキスト", "مرحبا بالعالم", "emoji 🎉👩‍💻", "e\u0301 combining", "\"quoted, with comma\"", "line\nbreak inside"];
        var corpus = formulas.Concat(unicode).ToArray();
        await client.PostAsync(Some.Batch(corpus.Select((text, i) => Some.Event(tenant, change: e =>
        {
            e["id"] = $"evt-{i:D2}";
            e["occurred_at"] = $"2023-06-22T10:{i:D2}:00Z";
            e["description"] = text;
            e["actor"]!["name"] = text;
            e["reason"] = text;
            e["targets"]![0]!["name"] = text;
        }))));

        var rows = CsvRecords.Read(await client.GetByteArrayAsync("/v1/events/export?format=csv"));
        var byId = Enumerable.Range(1, rows.Count - 1).Select(i => Row(rows, i)).ToDictionary(r => r["Event ID"]);
        for (var i = 0; i < corpus.Length; i++)
        {
            var row = byId[$"evt-{i:D2}"];
            var expected = formulas.Contains(corpus[i]) ? "'" + corpus[i] : corpus[i];
            Assert.Equal(expected, row["Description"]);
            Assert.Equal(expected, row["User"]);
            Assert.Equal(expected, row["Reason"]);
            Assert.Contains(corpus[i].Trim(), row["Targets"]);
        }

        // No cell anywhere starts with a character a spreadsheet would run.
        foreach (var row in rows.Skip(1))
        {
            Assert.All(row, cell => Assert.False(cell.Length > 0 && "=+-@\t\r\n".Contains(cell[0]), $"cell starts like a formula: {cell}"));
        }
    }

    [Fact]
    public async Task Json_export_is_an_array_of_the_events_exactly_as_the_api_shows_them_newest_first()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 30, i => Some.Event(tenant, change: e =>
        {
            e["id"] = $"evt-{i:D3}";
            e["occurred_at"] = $"2023-06-22T10:{i:D2}:00Z";
            e["metadata"] = new JsonObject { ["n"] = i, ["note"] = "ünïcödé \u2028 <b>bold</b>" };
        }));

        var response = await client.GetAsync("/v1/events/export?format=json");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var events = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(30, events.Count);
        Assert.Equal(Enumerable.Range(0, 30).Reverse().Select(i => $"evt-{i:D3}"), events.Select(e => e.GetProperty("id").GetString()));
        foreach (var e in events.Take(3))
        {
            var single = await client.GetStringAsync($"/v1/events/{e.GetProperty("id").GetString()}");
            Assert.Equal(single, e.GetRawText());
        }
    }

    [Fact]
    public async Task Export_file_is_named_after_the_tenant_and_the_days_of_the_filter_or_of_the_data()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Batch([
            Some.Event(tenant, change: e => e["occurred_at"] = "2023-05-03T08:00:00Z"),
            Some.Event(tenant, change: e => e["occurred_at"] = "2023-07-09T20:00:00Z"),
        ]));

        // The whole log first: every export is recorded as an event of today, which widens the data's span.
        var whole = await client.GetAsync("/v1/events/export?format=ndjson");
        Assert.Equal($"audit-logs-{tenant}-2023-05-03_2023-07-09.ndjson", whole.Content.Headers.ContentDisposition!.FileName!.Trim('"'));

        var filtered = await client.GetAsync("/v1/events/export?format=csv&from=2023-06-01&to=2023-06-30");
        Assert.Equal("attachment", filtered.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"attachment; filename=\"audit-logs-{tenant}-2023-06-01_2023-06-30.csv\"", filtered.Content.Headers.GetValues("Content-Disposition").Single());
    }

    [Fact]
    public async Task Filters_and_the_search_language_narrow_the_export()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Batch([
            Some.Event(tenant, "inbox.create", e => { e["id"] = "a"; e["occurred_at"] = "2023-06-10T10:00:00Z"; }),
            Some.Event(tenant, "inbox.delete", e => { e["id"] = "b"; e["occurred_at"] = "2023-06-11T10:00:00Z"; e["outcome"] = "failure"; }),
            Some.Event(tenant, "team.create", e => { e["id"] = "c"; e["occurred_at"] = "2023-06-12T10:00:00Z"; e["actor"]!["email"] = "other@example.com"; }),
            Some.Event(tenant, "inbox.create", e => { e["id"] = "d"; e["occurred_at"] = "2023-07-01T10:00:00Z"; }),
        ]));

        Assert.Equal(["b", "a"], await IdsAsync(client, "action=inbox.*&to=2023-06-30"));
        Assert.Equal(["b"], await IdsAsync(client, "outcome=failure"));
        Assert.Equal(["c"], await IdsAsync(client, "actor=other@example.com"));
        Assert.Equal(["d", "a"], await IdsAsync(client, "q=" + Uri.EscapeDataString("action:inbox.create")));
        Assert.Equal(["c", "b"], await IdsAsync(client, "from=2023-06-11&q=" + Uri.EscapeDataString("-action:inbox.create type:activity")));
    }

    [Fact]
    public async Task Bad_parameters_answer_a_problem_naming_the_field()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await AssertProblemAsync(client, "/v1/events/export", "format");
        await AssertProblemAsync(client, "/v1/events/export?format=xlsx", "format");
        await AssertProblemAsync(client, "/v1/events/export?format=csv&from=yesterday", "from");
        await AssertProblemAsync(client, "/v1/events/export?format=csv&q=" + Uri.EscapeDataString("bogus:thing"), "q");
        await AssertProblemAsync(client, "/v1/events/export?format=csv&limit=10", "limit");
    }

    [Fact]
    public async Task A_tenant_key_cannot_export_another_tenant_and_a_global_key_must_name_one()
    {
        var a = Some.Tenant();
        var b = Some.Tenant();
        using var clientA = await _server.ClientForAsync(a);
        using var clientB = await _server.ClientForAsync(b);
        await clientA.PostAsync(Some.Event(a, change: e => e["id"] = "only-a"));
        await clientB.PostAsync(Some.Event(b, change: e => e["id"] = "only-b"));

        var forbidden = await clientA.GetAsync($"/v1/events/export?format=json&tenant={b}");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("only-b", await forbidden.Content.ReadAsStringAsync());

        using var global = _server.Client(await _server.CreateKeyAsync(null, "events:read"));
        await AssertProblemAsync(global, "/v1/events/export?format=json", "tenant");
        var fromB = await global.GetStringAsync($"/v1/events/export?format=json&tenant={b}");
        Assert.Contains("only-b", fromB);
        Assert.DoesNotContain("only-a", fromB);

        using var writeOnly = _server.Client(await _server.CreateKeyAsync(a, "events:write"));
        Assert.Equal(HttpStatusCode.Forbidden, (await writeOnly.GetAsync("/v1/events/export?format=csv")).StatusCode);
        using var anonymous = _server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/events/export?format=csv&tenant={a}")).StatusCode);
    }

    [Fact]
    public async Task Every_export_is_recorded_with_its_format_rows_and_filters()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 7);
        await client.GetByteArrayAsync("/v1/events/export?format=csv&action=inbox.create");

        var page = await (await client.GetAsync("/v1/events?action=audit_log.export")).JsonAsync();
        var recorded = Assert.Single(page.GetProperty("events").EnumerateArray());
        Assert.Equal("access", recorded.GetProperty("type").GetString());
        Assert.Equal("Audit log", recorded.GetProperty("category").GetString());
        Assert.Equal("api_key", recorded.GetProperty("actor").GetProperty("type").GetString());
        var metadata = recorded.GetProperty("metadata");
        Assert.Equal("csv", metadata.GetProperty("format").GetString());
        Assert.Equal(7, metadata.GetProperty("rows").GetInt64());
        Assert.Equal("inbox.create", metadata.GetProperty("filters").GetProperty("action").GetString());
        Assert.Contains("7", recorded.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Pdf_report_holds_the_tenant_the_count_accented_names_and_numbered_pages()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 120, i => Some.Event(tenant, change: e =>
        {
            e["occurred_at"] = $"2023-06-{1 + (i % 28):D2}T10:00:00Z";
            e["actor"]!["name"] = i % 2 == 0 ? "Zoë Ångström" : "Łukasz Żółć";
            e["description"] = i == 0 ? "Emoji 🎉 and 日本語 and a very long description that has to wrap over several lines of its cell " + new string('x', 200) : $"Renamed inbox number {i}";
        }));

        var response = await client.GetAsync("/v1/events/export?format=pdf&action=inbox.create");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        var pdf = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("%PDF", Encoding.ASCII.GetString(pdf, 0, 4));

        if (Environment.GetEnvironmentVariable("WITNESS_TEST_OUTPUT") is { Length: > 0 } artifacts)
        {
            Directory.CreateDirectory(artifacts);
            await File.WriteAllBytesAsync(Path.Combine(artifacts, "export-report.pdf"), pdf);
        }

        var text = await PdfText.ExtractAsync(pdf);
        Assert.Contains("Audit log report", text);
        Assert.Contains(tenant, text);
        Assert.Contains("120", text);
        Assert.Contains("Zoë Ångström", text);
        Assert.Contains("Łukasz Żółć", text);
        Assert.Contains("action = inbox.create", text);
        Assert.Contains("Page 1 of", text);
        var pages = int.Parse(System.Text.RegularExpressions.Regex.Match(text, @"Page 1 of (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(pages >= 3, $"120 events fill more than one table page; got {pages} pages");
        Assert.Contains($"Page {pages} of {pages}", text);
        Assert.Contains("Renamed inbox number 119", text);

        // The cover's hash is the SHA-256 of the JSON export of the same events.
        var json = await client.GetByteArrayAsync("/v1/events/export?format=json&action=inbox.create");
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json)), text.Replace("\n", ""));
    }

    [Fact]
    public async Task A_pdf_with_more_events_than_a_report_holds_is_refused_before_any_byte_is_written()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 5);
        var exporter = new EventExporter(_server.Store, _server.Services.GetRequiredService<CheckpointIssuer>(), TimeProvider.System, [new PdfExportWriter(maxEvents: 3)]);
        var source = await exporter.PrepareAsync(tenant, EventFilter.All, new Dictionary<string, string>(), TimeZoneInfo.Utc, CancellationToken.None);

        using var output = new MemoryStream();
        var refused = await Assert.ThrowsAsync<ExportTooLargeException>(() => exporter.Find("pdf")!.WriteAsync(source, output, CancellationToken.None));
        Assert.Equal(5, refused.Events);
        Assert.Contains("narrow the filters", refused.Message);
        Assert.Equal(0, output.Length);
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string query)
    {
        var body = await client.GetStringAsync($"/v1/events/export?format=json&{query}");
        return [.. JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];
    }

    private static async Task AssertProblemAsync(HttpClient client, string url, string field)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    private static Dictionary<string, string> Row(List<string[]> rows, int index) =>
        rows[0].Select((name, i) => (name, i)).ToDictionary(c => c.name, c => rows[index][c.i]);
}
