using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Bench;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage.Sqlite;

// The CPU cost of each ingest stage, in process, per event: a measure that a busy machine changes
// far less than a throughput figure. Batches of 500 bench events, as the HTTP benchmark sends them.
//   dotnet run -c Release --project bench/Witness.Bench.Ingest -- [--events N] [--rounds N] [--stage N]
int Arg(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var eventCount = Arg("--events", 40_000);
if (args.Contains("--search"))
{
    var at = Array.IndexOf(args, "--store");
    var pg = Array.IndexOf(args, "--postgres");
    await Witness.Bench.SearchBench.RunAsync(Arg("--events", 1_000_000), at >= 0 ? args[at + 1] : Path.Combine(Path.GetTempPath(), "witness-search-bench"), pg >= 0 ? args[pg + 1] : null, Arg("--text-block-events", Witness.Search.TextBlock.DefaultMaxEvents), args.Contains("--reindex"));
    return;
}

var textBlockEvents = Arg("--text-block-events", Witness.Search.TextBlock.DefaultMaxEvents); // events per free-text block (SqliteStoreOptions.TextBlockEvents)
var onlyStage = Arg("--stage", 0); // 1-based: run one stage only, e.g. under a profiler
var rounds = Arg("--rounds", 3);
const int batchSize = 500;
const int groupSize = 4_000;
const string tenant = "bench";

var events = BenchEvents.Generate(eventCount, tenant);
var bodies = events.Chunk(batchSize)
    .Select(chunk => Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. chunk.Select(BenchEvents.ClientJson)]) }.ToJsonString()))
    .ToArray();
var parser = new EventParser(TimeProvider.System);
var received = EventParser.Truncate(DateTimeOffset.UtcNow);

// Inputs of the later stages, made once outside the timed sections.
List<SubmittedEvent>? parsed = null;
List<SubmittedEvent>? prepared = null;
List<byte[]>? leaves = null;

List<SubmittedEvent> Parsed() => parsed ??= [.. bodies.SelectMany(b => parser.ParseRequest(b, tenant, out _))];
List<SubmittedEvent> Prepared() => prepared ??= [.. Parsed().Select(e => e.Prepare())];
List<(SubmittedEvent Event, byte[] Body, byte[] Hash)> Rows() => [.. Prepared().Zip(Leaves(), (e, body) => (e, body, MerkleHash.Leaf(body)))];
List<byte[]> Leaves() => leaves ??= [.. Prepared().Select((e, i) => e.Prepared!.Parts.Complete(i + 1, received))];

var stages = new (string Name, Func<Task> Run)[]
{
    ("parse + validate (EventParser.ParseRequest)", () =>
    {
        foreach (var body in bodies)
        {
            parser.ParseRequest(body, tenant, out _);
        }

        return Task.CompletedTask;
    }),
    ("  of which: canonical write (CanonicalEvent.Write)", () =>
    {
        foreach (var e in Parsed())
        {
            CanonicalEvent.Write(e.Event);
        }

        return Task.CompletedTask;
    }),
    ("prepare (canonical parts + index keys)", () =>
    {
        foreach (var e in Parsed())
        {
            e.Prepare();
        }

        return Task.CompletedTask;
    }),
    ("canonical bytes (splice seq, received_at)", () =>
    {
        var seq = 0L;
        foreach (var e in Prepared())
        {
            e.Prepared!.Parts.Complete(++seq, received);
        }

        return Task.CompletedTask;
    }),
    ("leaf hash", () =>
    {
        foreach (var leaf in Leaves())
        {
            MerkleHash.Leaf(leaf);
        }

        return Task.CompletedTask;
    }),
    ($"SqliteStore.AppendAsync, groups of {groupSize:N0} (prepared)", async () =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"witness-stages-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            await using var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = Path.Combine(folder, "witness.db"), TextBlockEvents = textBlockEvents });
            await store.InitializeAsync(CancellationToken.None);
            foreach (var group in Prepared().Chunk(batchSize).Chunk(groupSize / batchSize))
            {
                await store.AppendAsync(group, received, CancellationToken.None);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }),
    ("  of which: SQLite alone (the same INSERTs of prepared rows, 4,000 per transaction)", async () =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"witness-stages-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "witness.db");
            await using (var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = path }))
            {
                await store.InitializeAsync(CancellationToken.None);
            }

            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192; INSERT INTO tenants (id, name, log_size, frontier, created_at) VALUES (1, 'bench', 0, x'', 0)";
                pragma.ExecuteNonQuery();
            }

            var seq = 0L;
            foreach (var group in Rows().Chunk(groupSize))
            {
                using var tx = connection.BeginTransaction();
                using var rows = new SqliteEventRows(connection);
                foreach (var (e, body, hash) in group)
                {
                    seq++;
                    rows.Insert(SqliteStore.Rid(1, seq), 1, seq, e.Event.Id, e.Prepared!.Keys, e.ContentDigest, hash, body);
                }

                tx.Commit();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }),
    ($"  of which (stage 6): free-text blocks of {textBlockEvents} (TextBlockBuilder, distinct trigrams)", () =>
    {
        var builder = new Witness.Search.TextBlockBuilder(textBlockEvents);
        var seq = 0L;
        foreach (var e in Prepared())
        {
            builder.Add(++seq, e.Prepared!.Keys.OccurredAtMicros, e.Prepared.Keys.SearchText);
        }

        builder.Complete();
        return Task.CompletedTask;
    }),
};

Parsed();
Prepared();
Leaves();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# Ingest stages, {eventCount:N0} events in batches of {batchSize}, best of {rounds} rounds, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load {File.ReadAllText("/proc/loadavg").Trim()}"));
Console.WriteLine();
Console.WriteLine("| stage | CPU us/event | wall us/event | allocated B/event |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
var process = Process.GetCurrentProcess();
var total = 0.0;
foreach (var (name, run) in onlyStage > 0 ? stages[(onlyStage - 1)..onlyStage] : stages)
{
    await run(); // warm-up: tiered compilation settles before the timed rounds
    var bestCpu = double.MaxValue;
    var bestWall = double.MaxValue;
    var bestAlloc = long.MaxValue;
    for (var round = 0; round < rounds; round++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        await run();
        wall.Stop();
        process.Refresh();
        bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalMicroseconds / eventCount);
        bestWall = Math.Min(bestWall, wall.Elapsed.TotalMicroseconds / eventCount);
        bestAlloc = Math.Min(bestAlloc, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / eventCount);
    }

    total += name.StartsWith(' ') ? 0 : bestCpu;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bestCpu:N2} | {bestWall:N2} | {bestAlloc:N0} |"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| sum | {total:N2} | | |"));
