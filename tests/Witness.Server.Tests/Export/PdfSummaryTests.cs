using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Export;

/// <summary>The PDF report's first page: the summary of the exported events, then the integrity block.</summary>
public sealed class PdfSummaryTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_first_page_lists_the_period_filters_counts_by_type_and_outcome_top_actors_and_actions_failures_and_the_integrity_block()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        (await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["time_zone"] = "Europe/Rome" }))).EnsureSuccessStatusCode();
        // 90 events over the 25-hour Rome Sunday of 27 October 2024 and the days around it: 60 activity
        // (every sixth a failure: 10) and 30 access (every third a failure: 10); actors by i % 3.
        await Some.SendManyAsync(client, tenant, 90, i => Some.Event(tenant, i % 3 == 0 ? "user.login" : i % 3 == 1 ? "inbox.create" : "team.delete", e =>
        {
            e["type"] = i % 3 == 0 ? "access" : "activity";
            e["outcome"] = i % 3 == 0 ? (i % 9 == 0 ? "failure" : "success") : (i % 6 == 1 ? "failure" : "success");
            e["occurred_at"] = new DateTimeOffset(2024, 10, 26, 0, 0, 0, TimeSpan.Zero).AddMinutes(45 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 3}", ["name"] = $"Agent {i % 3}", ["email"] = $"agent{i % 3}@example.com" };
        }));
        var listed = (await (await client.GetAsync("/v1/events?from=2024-10-26&to=2024-10-28&limit=1000")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(90, listed.Count);
        var failures = listed.Count(e => e.GetProperty("outcome").GetString() == "failure");
        var accessFailures = listed.Count(e => e.GetProperty("type").GetString() == "access" && e.GetProperty("outcome").GetString() == "failure");

        var response = await client.GetAsync("/v1/events/export?format=pdf&from=2024-10-26&to=2024-10-28");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pdf = await response.Content.ReadAsByteArrayAsync();
        if (Environment.GetEnvironmentVariable("WITNESS_TEST_OUTPUT") is { Length: > 0 } artifacts)
        {
            Directory.CreateDirectory(artifacts);
            await File.WriteAllBytesAsync(Path.Combine(artifacts, "export-report-summary.pdf"), pdf);
        }

        var first = await PdfText.ExtractAsync(pdf, page: 1);
        Assert.Contains("Audit log report", first);
        Assert.Contains("2024-10-26 to 2024-10-28 (Europe/Rome)", first);
        Assert.Contains("from = 2024-10-26", first);
        Assert.Contains($"90, of which {failures} failures", first);
        Assert.Matches(new Regex($@"access\s+{30 - accessFailures}\s+{accessFailures}\s+30"), first);
        Assert.Matches(new Regex($@"activity\s+{60 - (failures - accessFailures)}\s+{failures - accessFailures}\s+60"), first);
        Assert.Matches(new Regex($@"All types\s+{90 - failures}\s+{failures}\s+90"), first);
        Assert.Contains("Events per hour (Europe/Rome)", first);
        Assert.Matches(new Regex(@"Agent 0 <agent0@example.com>\s+30"), first);
        Assert.Matches(new Regex(@"user\.login\s+30"), first);
        Assert.Contains("Failures by action", first);
        Assert.Matches(new Regex($@"inbox\.create\s+{listed.Count(e => e.GetProperty("action").GetString() == "inbox.create" && e.GetProperty("outcome").GetString() == "failure")}\b"), first);
        Assert.Contains("Integrity", first);
        Assert.Contains("Events SHA-256", first);
        Assert.Contains("Signed checkpoint", first);
        Assert.Contains("witness verify --file export.ndjson", first);
        var json = await client.GetByteArrayAsync("/v1/events/export?format=json&from=2024-10-26&to=2024-10-28");
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json)), first.Replace("\n", ""));
        Assert.DoesNotContain("Seq", first.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Seq", StringComparison.Ordinal)));

        var second = await PdfText.ExtractAsync(pdf, page: 2);
        Assert.Contains("Description", second);
    }
}
