using Microsoft.Extensions.DependencyInjection;
using Witness.Events;
using Witness.Ingest;
using Witness.Server.Tests.Support;
using Xunit.Abstractions;

namespace Witness.Server.Tests.Export;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    /// <summary>Tests that measure the process's memory run alone, so other tests' allocations do not count.</summary>
    public const string Name = "Memory measured";
}

[Collection(MemoryMeasuredCollection.Name)]
public sealed class ExportMemoryTests(ITestOutputHelper output)
{
    private const int Events = 100_000;
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task A_large_csv_export_streams_while_the_heap_stays_flat()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        await FillAsync(server, tenant);
        using var client = await server.ClientForAsync(tenant, "events:read");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        long bytes = 0, lines = 0, nextSample = 0;
        using (var response = await client.GetAsync("/v1/events/export?format=csv", HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(chunk)) > 0)
            {
                bytes += read;
                lines += chunk.AsSpan(0, read).Count((byte)'\n');
                if (bytes >= nextSample)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                    nextSample = bytes + MiB;
                }
            }
        }

        output.WriteLine($"exported {lines - 1} rows, {bytes / MiB} MiB; heap grew by at most {(peak - baseline) / MiB} MiB (baseline {baseline / MiB} MiB)");

        // Buffering the file, or the events behind it, would hold more than the whole export at once.
        Assert.Equal(Events + 1, lines);
        Assert.True(bytes > 50 * MiB, $"the export is {bytes / MiB} MiB; it should be large enough to show buffering");
        Assert.True(peak - baseline < 64 * MiB, $"the heap grew by {(peak - baseline) / MiB} MiB while exporting {bytes / MiB} MiB");
    }

    /// <summary>Appends the events straight through the server's ingestor in batches of 1,000: far faster than HTTP for this many.</summary>
    private static async Task FillAsync(RunningServer server, string tenant)
    {
        var ingestor = server.Services.GetRequiredService<EventIngestor>();
        var start = new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var description = "Changed the routing rule of the support inbox so that conversations from enterprise customers reach the priority queue first; " +
            "previous owner notified, escalation policy unchanged, ticket reference attached for the quarterly access review.";
        for (var batchStart = 0; batchStart < Events; batchStart += 1000)
        {
            var batch = new List<SubmittedEvent>(1000);
            for (var i = batchStart; i < batchStart + 1000; i++)
            {
                var e = new AuditEvent
                {
                    Id = $"evt-{i:D7}",
                    Tenant = tenant,
                    OccurredAt = start.AddSeconds(i * 17),
                    Type = LogTypes.Activity,
                    Action = "inbox.update",
                    Category = "Inboxes",
                    Actor = new EventActor { Type = ActorTypes.User, Id = $"u_{i % 50}", Name = "Zoë Ångström", Email = $"user{i % 50}@example.com", Role = "Administrator" },
                    Targets = [new EventTarget { Type = "inbox", Id = $"{i % 300}", Name = "Support" }],
                    Outcome = Outcomes.Success,
                    Context = new EventContext { Ip = "203.0.113.7", UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", Location = new EventLocation { Country = "IT", City = "Milan" } },
                    Description = description,
                };
                batch.Add(new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true));
            }

            await ingestor.AppendAsync(batch);
        }
    }
}
