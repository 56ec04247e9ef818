// Exports a large SQLite store in every streamed format and reports time and memory as a table.
//   dotnet run -c Release --project bench/Witness.Bench.Export -- [events, default 1000000] [data folder, default a temp folder]
using System.Diagnostics;
using System.Globalization;
using Witness.Bench.Export;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Export;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Search;
using Witness.Storage.Sqlite;

var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var folder = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), $"witness-bench-export-{Guid.NewGuid():N}");
const string tenant = "bench";
var clock = TimeProvider.System;

await using var store = new SqliteStore(SqliteStoreOptions.InFolder(folder));
await store.InitializeAsync(CancellationToken.None);
using var key = SigningKey.LoadOrCreate(folder, "witness");
var existing = (await store.GetFrontierAsync(tenant, CancellationToken.None))?.Size ?? 0;
var fill = Stopwatch.StartNew();
await using (var ingestor = new EventIngestor(store, clock))
{
    for (var start = (int)existing; start < events; start += 1000)
    {
        await ingestor.AppendAsync([.. Enumerable.Range(start, Math.Min(1000, events - start)).Select(Sample.Event)]);
    }
}

Console.WriteLine($"store: {events:N0} events in {folder} ({(events - existing) / Math.Max(fill.Elapsed.TotalSeconds, 0.001):N0} events/s appended)");
var exporter = new EventExporter(store, new CheckpointIssuer(store, key, clock), clock, [new CsvExportWriter(), new JsonExportWriter(), new NdjsonExportWriter()]);
var cases = new (string Name, string Format, Dictionary<string, string> Filters)[]
{
    ("csv, whole log", "csv", []),
    ("json, whole log", "json", []),
    ("ndjson, whole log (verifiable)", "ndjson", []),
    ("ndjson, action=team.create (proofs)", "ndjson", new() { ["action"] = "team.create" }),
};

var rows = new List<string>
{
    $"| export of {events:N0} events | rows | MiB | seconds | rows/s | GC heap growth, peak (MiB) | working set, peak (MiB) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
};
foreach (var (name, format, filters) in cases)
{
    var filter = EventFilterBinder.FromParameters(n => filters.GetValueOrDefault(n), TimeZoneInfo.Utc);
    var source = await exporter.PrepareAsync(tenant, filter, filters, TimeZoneInfo.Utc, CancellationToken.None);
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var baseline = GC.GetTotalMemory(forceFullCollection: true);
    using var sampler = new MemorySampler();
    var output = new CountingStream();
    var watch = Stopwatch.StartNew();
    var written = await exporter.Find(format)!.WriteAsync(source, output, CancellationToken.None);
    watch.Stop();
    sampler.Stop();
    rows.Add(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {written:N0} | {output.Length / 1048576.0:N0} | {watch.Elapsed.TotalSeconds:N1} | {written / watch.Elapsed.TotalSeconds:N0} | {(sampler.PeakHeap - baseline) / 1048576.0:N0} | {sampler.PeakWorkingSet / 1048576.0:N0} |"));
    Console.WriteLine(rows[^1]);
}

var table = string.Join('\n', rows);
Console.WriteLine();
Console.WriteLine(table);
var results = Path.Combine(AppContext.BaseDirectory, "export-results.md");
await File.WriteAllTextAsync(results, $"# witness export bench, {clock.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores\n\n{table}\n");
Console.WriteLine($"written to {results}");
if (args.Length < 2)
{
    Directory.Delete(folder, recursive: true);
}
