using System.Diagnostics;
using System.Globalization;
using Witness.Events;
using Witness.Search;
using Witness.Storage;
using Witness.Storage.Postgres;
using Witness.Storage.Sqlite;

namespace Witness.Bench;

/// <summary>
/// First pages of free-text searches on a store filled with bench events, in process:
/// <c>Witness.Bench.Ingest.dll --search --events N --store DIR|none [--postgres CONNECTION] [--text-block-events N]</c>. A store
/// already holding N events is reused; otherwise it is filled through the store's AppendAsync in
/// groups of 4,000 (the fill time is printed).
/// </summary>
internal static class SearchBench
{
    private static readonly string[] Queries =
    [
        "", "Berlin", "user417", "\"user 417\"", "\"inbox 42\"", "milan", "\"user 417\" OR \"user 418\"",
        "(berlin OR \"wrong password\") -user417", "zzzzzz", "ab",
    ];

    public static async Task RunAsync(int count, string folder, string? postgres, int textBlockEvents)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# Free-text first pages (50), {count:N0} bench events, load {File.ReadAllText("/proc/loadavg").Trim()}"));
        if (folder != "none")
        {
            await using var sqlite = new SqliteStore(new SqliteStoreOptions { DatabasePath = SqliteStoreOptions.InFolder(folder).DatabasePath, TextBlockEvents = textBlockEvents });
            await sqlite.InitializeAsync(CancellationToken.None);
            await MeasureAsync("sqlite", sqlite, count);
        }

        if (postgres is not null)
        {
            await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = postgres, TextBlockEvents = textBlockEvents });
            await store.InitializeAsync(CancellationToken.None);
            await MeasureAsync("postgres", store, count);
        }
    }

    private static async Task MeasureAsync(string name, IWitnessStore store, int count)
    {
        const string tenant = "bench";
        var size = (await store.GetFrontierAsync(tenant, CancellationToken.None))?.Size ?? 0;
        if (size < count)
        {
            var parser = new EventParser(TimeProvider.System);
            var fill = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var chunk in BenchEvents.Generate(count, tenant).Skip((int)size).Chunk(4000))
            {
                var requests = chunk.Chunk(500).Select(batch =>
                {
                    var body = System.Text.Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["events"] = new System.Text.Json.Nodes.JsonArray([.. batch.Select(BenchEvents.ClientJson)]) }.ToJsonString());
                    return (IReadOnlyList<SubmittedEvent>)[.. parser.ParseRequest(body, tenant, out _).Select(e => e.Prepare())];
                }).ToList();
                await store.AppendAsync(requests, DateTimeOffset.UtcNow, CancellationToken.None);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: filled {count - size:N0} events in {fill.Elapsed.TotalSeconds:F0} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F0} s CPU of this process"));
        }

        Console.WriteLine($"| {name}: q | found | p50 ms | p99 ms | max ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var q in Queries)
        {
            var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
            var samples = new List<double>();
            var found = 0;
            for (var i = 0; i < 60; i++)
            {
                var t = Stopwatch.GetTimestamp();
                var page = await store.SearchAsync(tenant, filter, 50, null, CancellationToken.None);
                found = page.Events.Count;
                if (i >= 10)
                {
                    samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }

            samples.Sort();
            double P(double p) => samples[(int)Math.Min(samples.Count - 1, Math.Ceiling(p / 100 * samples.Count) - 1)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{q}` | {found} | {P(50):F2} | {P(99):F2} | {samples[^1]:F2} |"));
        }
    }
}
