using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Witness.Ingest;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>The bounded ingest queue and the validation of options at start (issue 17, item 3).</summary>
public sealed class IngestQueueTests
{
    [Fact]
    public async Task A_request_arriving_at_a_full_ingest_queue_gets_503_with_retry_after_and_nothing_of_it_is_stored()
    {
        await using var server = await RunningServer.StartAsync(o => o.Ingest.MaxQueuedEvents = 2, sqliteOnly: true);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var ingestor = server.Services.GetRequiredService<EventIngestor>();

        // Another connection holds SQLite's write lock, so the group commit waits and the queue stays full.
        var waiting = new List<Task<HttpResponseMessage>>();
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "witness.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using (var begin = db.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            waiting.Add(client.PostAsync(Some.Batch([Some.Event(tenant, change: e => e["id"] = "first-1"), Some.Event(tenant, change: e => e["id"] = "first-2")])));
            await Eventually.GetValueAsync(() => Task.FromResult(ingestor.QueuedEvents == 2 ? (bool?)true : null), "the first request in the queue");

            using var refused = await client.PostAsync(Some.Event(tenant, change: e => e["id"] = "refused"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.JsonAsync();
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.Contains("waiting to be written", problem.GetProperty("detail").GetString());

            await using var rollback = db.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        using var accepted = await waiting[0];
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/events/refused")).StatusCode);
        var stored = JsonNode.Parse(await client.GetStringAsync("/v1/events?limit=10&type=activity"))!["events"]!.AsArray();
        Assert.Equal(new[] { "first-2", "first-1" }, stored.Select(e => e!["id"]!.GetValue<string>()));

        // Once the queue drained, the next request is taken again.
        using var later = await client.PostAsync(Some.Event(tenant, change: e => e["id"] = "later"));
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
    }

    [Theory]
    [InlineData("MaxQueuedEvents")]
    [InlineData("MaxEventsPerCommit")]
    public async Task An_ingest_option_out_of_range_refuses_to_start_naming_the_option(string option)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o =>
        {
            if (option == "MaxQueuedEvents")
            {
                o.Ingest.MaxQueuedEvents = 0;
            }
            else
            {
                o.Ingest.MaxEventsPerCommit = -5;
            }
        }));
        Assert.Contains(option, ex.Message);
    }

    [Fact]
    public async Task A_server_option_out_of_range_refuses_to_start_naming_the_option()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.RateLimits.ReadsBurst = 0));
        Assert.Contains("RateLimits.ReadsBurst", ex.Message);

        ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.WebhookMaxAttempts = 0));
        Assert.Contains("WebhookMaxAttempts", ex.Message);
    }
}
