using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Witness.Client.Tests.Support;

namespace Witness.Client.Tests;

/// <summary>samples/HelpDesk as a user runs it (<c>dotnet HelpDesk.dll --urls …</c>) beside a real Witness process.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task Create_update_and_delete_through_the_sample_appear_in_Witness_with_actor_changes_and_descriptions()
    {
        await using var witness = await WitnessServer.CreateAsync();
        using var temp = new TempDirectory("helpdesk");
        var folder = temp.Path;
        await using var sample = await StartSampleAsync(witness, folder);
        using var http = SampleHttp(sample, "ada@example.com");

        var created = await (await http.PostAsJsonAsync("/inboxes", new { name = "Support", channel = "email" })).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/inboxes/{id}", new { name = "Help desk" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/inboxes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/inboxes/99999/export", null)).StatusCode);

        var events = await witness.WaitForEventsAsync(4);
        var byAction = events.ToDictionary(e => e.Action);
        // The outbox and the request-path sender deliver independently: the order between them is not fixed.
        Assert.Equal(["inbox.create", "inbox.delete", "inbox.export", "inbox.update"], events.Select(e => e.Action).Order());
        Assert.All(events, e =>
        {
            Assert.Equal("ada@example.com", e.Actor!.Email);
            Assert.Equal("user", e.Actor.Type);
            Assert.Equal("127.0.0.1", e.Context!.Ip);
            Assert.False(string.IsNullOrEmpty(e.Context.RequestId));
        });
        var target = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"Created a new inbox (#{target})", byAction["inbox.create"].Description);
        Assert.Equal("Support", byAction["inbox.create"].Changes!.After!["name"]!.GetValue<string>());
        Assert.Equal($"Updated an inbox (#{target})", byAction["inbox.update"].Description);
        Assert.Equal("Support", byAction["inbox.update"].Changes!.Before!["name"]!.GetValue<string>());
        Assert.Equal("Help desk", byAction["inbox.update"].Changes!.After!["name"]!.GetValue<string>());
        Assert.Equal($"Deleted an inbox (#{target})", byAction["inbox.delete"].Description);
        Assert.Equal("Help desk", byAction["inbox.delete"].Changes!.Before!["name"]!.GetValue<string>());
        Assert.Equal("failure", byAction["inbox.export"].Outcome);
        Assert.Equal("HTTP 404 Not Found", byAction["inbox.export"].Reason);
    }

    [Fact]
    public async Task Witness_killed_during_500_changes_the_sample_still_answers_and_every_change_arrives_exactly_once()
    {
        await using var witness = await WitnessServer.CreateAsync();
        using var temp = new TempDirectory("helpdesk");
        var folder = temp.Path;
        await using var sample = await StartSampleAsync(witness, folder);
        using var http = SampleHttp(sample, "bob@example.com");

        var next = 0;
        var statuses = new List<HttpStatusCode>();
        var killed = false;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= 500)
            {
                if (n == 150 && !killed)
                {
                    killed = true;
                    await witness.KillAsync();
                }

                var response = await http.PostAsJsonAsync("/teams", new { name = $"team {n}" });
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
        })));

        Assert.Equal(500, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        await witness.StartAsync();
        var events = await witness.WaitForEventsAsync(500);
        await Task.Delay(1000);
        events = await witness.AllEventsAsync();

        Assert.Equal(500, events.Count);
        Assert.Equal(500, events.Select(e => e.Targets![0].Name).Distinct().Count());
        Assert.Equal(500, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task The_sample_killed_with_events_in_its_outbox_loses_none_after_a_restart()
    {
        await using var witness = await WitnessServer.CreateAsync(start: false);
        using var temp = new TempDirectory("helpdesk");
        var folder = temp.Path;
        await using (var first = await StartSampleAsync(witness, folder))
        {
            using (var http = SampleHttp(first, "cy@example.com"))
            {
                for (var i = 0; i < 40; i++)
                {
                    Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/automation-rules", new { name = $"rule {i}" })).StatusCode);
                }
            }

            await first.KillAsync();
        }

        Assert.Equal(40, OutboxCount(folder));

        await witness.StartAsync();
        await using var second = await StartSampleAsync(witness, folder);
        var events = await witness.WaitForEventsAsync(40);

        Assert.Equal(40, events.Count);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"rule {i}").Order(), events.Select(e => e.Targets![0].Name!).Order());
        // Rows are deleted once Witness has answered, a moment after the events become visible there.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (OutboxCount(folder) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, OutboxCount(folder));
    }

    private static Task<ChildProcess> StartSampleAsync(WitnessServer witness, string folder) =>
        ChildProcess.StartAsync(
            "HelpDesk.dll",
            ChildProcess.FreePort(),
            "/",
            [],
            new Dictionary<string, string>
            {
                ["Witness__Endpoint"] = witness.Address.ToString(),
                ["Witness__ApiKey"] = witness.ApiKey,
                ["ConnectionStrings__HelpDesk"] = $"Data Source={Path.Combine(folder, "helpdesk.db")}",
            },
            folder);

    private static HttpClient SampleHttp(ChildProcess sample, string user)
    {
        var http = new HttpClient { BaseAddress = sample.Address };
        http.DefaultRequestHeaders.Add("X-Demo-User", user);
        return http;
    }

    // Events, not rows: a row holds the events of one SaveChanges.
    private static long OutboxCount(string folder)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "helpdesk.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(event_count), 0) FROM witness_outbox WHERE error IS NULL";
        return (long)command.ExecuteScalar()!;
    }
}
