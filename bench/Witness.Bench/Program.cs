using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Bench;
using Witness.Events;
using Witness.Integrity;
using Witness.Search;
using Witness.Server;
using Witness.Storage;
using Witness.Storage.Sqlite;
using Witness.Verification;

// Witness benchmarks on this machine, each beside the raw engine doing the same work.
//   dotnet run -c Release --project bench/Witness.Bench -- [ingest|query|verify|stats|all] [--events N] [--warmup N] [--query-events N] [--clients N] [--store DIR]
// `ingest --witnesses N` runs N witnesses (witness witness) in-process that cosign the heads log during the timed run.
// `stats` times a month's histogram (GET /v1/events/stats's counts) per filter on SQLite (--store DIR kept) and, with --postgres CONNSTR, PostgreSQL; --runs N (default 50);
// --histogram-only skips the second call with the top lists (a scan of the month's events).
// --filters "no filter,tab: access" runs only the named filters.
// --fill-behind opens the stores as the server does: counts scan the closed days not yet filled and the fill loop's pass
// (IKeyDayCountsStore.FillClosedDaysAsync) runs after the first count, timed apart.
// --reindex-text drops the free-text blocks and makes them again at start (default block size).
// `ingest` first sends --warmup events (default 50,000) to another tenant, untimed, so the timed run
// measures a server past its start-up (JIT compilation of the hot paths), as a running server is.
// Beside events/s and CPU it prints, for the timed run: the bytes the process wrote (the database, its WAL, sockets), the group
// commits (how many, their size, their summed time: the single writer's time per event) and the GC's allocation and pauses.
// `neighbour` floods tenant A (--clients N, 1,000-event batches) for --seconds S (default 20) while tenant B reads its
// first page every 20 ms; --events-per-second N sets the per-tenant and per-key limit (default: the server's).
// `stream-live` runs ingest without and with a syslog stream to a real rsyslog, alternating, --rounds N pairs (default 2); prints
// events/s, CPU per event and the stream's lag (issue 19); --folder DIR for the stores and rsyslog's output (default /tmp/bench-streams-live-*).
// `verify` fills a store of --query-events events once (kept in --store DIR when given, so reruns skip the
// fill) and times full verification of its tenant three times.
// `seal` times, in one thread, the CPU of sealing --events events into their leaves (salts, commitments, leaf hash) against leaf version 1's work.
// `erase` fills a store of --query-events events whose every tenth event is one subject's (kept in --store DIR) and times erasing that subject;
// --postgres CONNSTR uses that PostgreSQL database instead; --fill-only fills and stops (copy the store, then time the copy).
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int Arg(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var ingestEvents = Arg("--events", 200_000);
var queryEvents = Arg("--query-events", 1_000_000);
var clients = Arg("--clients", 4);
var warmup = Arg("--warmup", 50_000);
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"# Witness benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
report.AppendLine();

if (mode is "ingest" or "all")
{
    await IngestAsync(ingestEvents, clients, warmup, Arg("--witnesses", 0), report);
}

if (mode is "query" or "all")
{
    await QueryAndVerifyAsync(queryEvents, report);
}

if (mode is "stats")
{
    await StatsBench.RunAsync(queryEvents, args.SkipWhile(a => a != "--store").Skip(1).FirstOrDefault(), args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault(), Arg("--runs", 50), args.Contains("--histogram-only"), args.SkipWhile(a => a != "--filters").Skip(1).FirstOrDefault(), report, args.Contains("--fill-behind"), args.Contains("--reindex-text"));
}

if (mode is "neighbour")
{
    await NeighbourBench.RunAsync(Arg("--seconds", 20), clients, args.Contains("--events-per-second") ? Arg("--events-per-second", 0) : null, report);
}

if (mode is "erase")
{
    await EraseBench.RunAsync(queryEvents, args.SkipWhile(a => a != "--store").Skip(1).FirstOrDefault(), args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault(), args.Contains("--fill-only"), report);
}

if (mode is "stream-live")
{
    await StreamLiveBench.RunAsync(ingestEvents, clients, warmup, Arg("--rounds", 2), args.SkipWhile(a => a != "--folder").Skip(1).FirstOrDefault(), report);
}

if (mode is "seal")
{
    SealBench.Run(Arg("--events", 20_000), report);
}

if (mode is "verify")
{
    await VerifyAsync(queryEvents, args.SkipWhile(a => a != "--store").Skip(1).FirstOrDefault(), report);
}

Console.WriteLine();
Console.WriteLine(report);
Directory.CreateDirectory(Path.Combine("bench", "results"));
var file = Path.Combine("bench", "results", $"{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.md");
await File.WriteAllTextAsync(file, report.ToString());
Console.WriteLine($"written to {file}");

static async Task IngestAsync(int count, int clients, int warmup, int witnesses, StringBuilder report)
{
    const int batchSize = 500;
    var events = BenchEvents.Generate(count, "bench");
    var bodies = events.Chunk(batchSize)
        .Select(chunk => Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. chunk.Select(BenchEvents.ClientJson)]) }.ToJsonString()))
        .ToArray();

    // Witness over loopback HTTP, durable acknowledgement, several concurrent clients.
    var folder = TempFolder();
    var (witnessApps, withWitnesses) = await BenchWitnesses.StartAsync(folder, witnesses);
    var serverOptions = new WitnessServerOptions { DataDirectory = folder, Urls = "http://127.0.0.1:0", RateLimits = { TenantEventsPerSecond = 0, KeyEventsPerSecond = 0, TenantReadsPerSecond = 0, KeyReadsPerSecond = 0 } };
    withWitnesses(serverOptions);
    var app = await WitnessServer.BuildAsync(serverOptions);
    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    var store = app.Services.GetRequiredService<IWitnessStore>();
    var (key, record) = ApiKeys.Create("bench", [Scopes.EventsWrite], "bench", DateTimeOffset.UtcNow);
    await store.CreateApiKeyAsync(record, CancellationToken.None);
    var (warmupKey, warmupRecord) = ApiKeys.Create("warmup", [Scopes.EventsWrite], "warmup", DateTimeOffset.UtcNow);
    await store.CreateApiKeyAsync(warmupRecord, CancellationToken.None);
    await SendAllAsync(address, warmupKey, bodies.Take(warmup / batchSize).ToArray(), clients, []);

    var latencies = new List<double>();
    var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var threadsBefore = ThreadCpu.Sample();
    var writesBefore = ProcessWrites.Sample();
    using var groups = new GroupCommits();
    var (gen0Before, gen1Before, gen2Before, pauseBefore, allocatedBefore) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
    var clock = Stopwatch.StartNew();
    await SendAllAsync(address, key, bodies, clients, latencies);
    var httpSeconds = clock.Elapsed.TotalSeconds;
    var writesAfter = ProcessWrites.Sample();
    var (groupCount, groupEvents, groupSeconds) = groups.Read();
    var (gen0, gen1, gen2, pause, allocated) = (GC.CollectionCount(0) - gen0Before, GC.CollectionCount(1) - gen1Before, GC.CollectionCount(2) - gen2Before, GC.GetTotalPauseDuration() - pauseBefore, GC.GetTotalAllocatedBytes() - allocatedBefore);
    process.Refresh();
    var cpuPerEvent = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / count;
    var threadCpu = ThreadCpu.Since(threadsBefore);
    var witnessing = await app.Services.GetRequiredService<Witness.Server.Witnessing.HeadsCosigner>().StatusAsync(CancellationToken.None);
    await app.StopAsync();
    await app.DisposeAsync();
    foreach (var witnessApp in witnessApps)
    {
        await witnessApp.DisposeAsync();
    }

    Directory.Delete(folder, true);

    // The raw engine: the same rows into the same schema and indexes, one process, 500 rows per transaction, synchronous=FULL.
    var rawSeconds = await RawInsertAsync(events, batchSize);

    var httpRate = count / httpSeconds;
    var rawRate = count / rawSeconds;
    report.AppendLine(CultureInfo.InvariantCulture, $"## Ingest: {count:N0} events, batches of {batchSize}, {clients} concurrent clients (after {warmup:N0} untimed to another tenant; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    report.AppendLine();
    report.AppendLine("| path | events/s | p50 batch ms | p99 batch ms |");
    report.AppendLine("| --- | ---: | ---: | ---: |");
    report.AppendLine(CultureInfo.InvariantCulture, $"| Witness, HTTP on loopback, durable ack | {httpRate:N0} | {Stats.Percentile(latencies, 50):N1} | {Stats.Percentile(latencies, 99):N1} |");
    report.AppendLine(CultureInfo.InvariantCulture, $"| raw SQLite, same rows/schema/indexes, 500/tx, FULL | {rawRate:N0} | | |");
    report.AppendLine(CultureInfo.InvariantCulture, $"| ratio Witness / raw | {httpRate / rawRate:N2} | | |");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"CPU of the whole process (clients, server, SQLite) during the HTTP run: {cpuPerEvent:N1} us/event; by thread: {string.Join(", ", threadCpu.Select(t => $"{t.Name} {t.Seconds * 1e6 / count:N1}"))}");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"Written by the process during the HTTP run (the database, its WAL and sockets): {(writesAfter.Bytes - writesBefore.Bytes) / (double)count:N0} bytes/event in {(writesAfter.Calls - writesBefore.Calls) / (double)count:N2} write calls/event");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"Group commits during the HTTP run: {groupCount:N0} of {groupEvents / (double)Math.Max(groupCount, 1):N0} events on average, {groupSeconds * 1000 / Math.Max(groupCount, 1):N1} ms each; the writer busy {groupSeconds / httpSeconds:P0} of the run, {groupSeconds * 1e6 / Math.Max(groupEvents, 1):N1} us/event");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"Garbage collection during the HTTP run: {allocated / (double)count:N0} bytes allocated/event; collections gen0 {gen0}, gen1 {gen1}, gen2 {gen2}; paused {pause.TotalMilliseconds:N0} ms ({pause.TotalSeconds / httpSeconds:P1} of the run)");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"Witnesses (--witnesses): {witnesses}; heads log size {witnessing.Size}, last cosigned by all at size {witnessing.LastWitnessed?.Size ?? 0}");
    report.AppendLine();
    Console.WriteLine(report);
}

// Sends every body once, from several concurrent clients, each request answered only after its commit.
static Task SendAllAsync(string address, string key, byte[][] bodies, int clients, List<double> latencies)
{
    var next = -1;
    return Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        int i;
        while ((i = Interlocked.Increment(ref next)) < bodies.Length)
        {
            var started = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(bodies[i]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var response = await client.PostAsync("/v1/events", content);
            if ((int)response.StatusCode != 201)
            {
                throw new InvalidOperationException($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            lock (latencies)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    })));
}

static async Task<double> RawInsertAsync(AuditEvent[] events, int batchSize)
{
    var folder = TempFolder();
    var path = Path.Combine(folder, "witness.db");
    await (await InitializedStoreAsync(path)).DisposeAsync();
    var now = DateTimeOffset.UtcNow;
    var rows = events.Select((e, i) =>
    {
        var stored = e with { Seq = i + 1, ReceivedAt = EventParser.Truncate(now) };
        var body = CanonicalEvent.Write(stored);
        return (Event: stored, Body: body, Hash: MerkleHash.Leaf(body), Digest: CanonicalEvent.ContentDigest(e), Keys: EventIndexKeys.From(stored));
    }).ToArray();

    using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
    connection.Open();
    Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;");
    Exec(connection, "INSERT INTO tenants (id, name, log_size, frontier, created_at) VALUES (1, 'bench', 0, x'', 0)");
    // The same statements as the store, bound by position (SqliteEventRows); an (email, actor id) pair is
    // inserted the first time it is seen, as the store's writer does.
    using var eventRows = new SqliteEventRows(connection);
    using var pair = new SqliteInsertStatement(connection, "INSERT OR IGNORE INTO actor_emails (tenant_id, email, actor_id) VALUES (?1, ?2, ?3)");
    var pairs = new HashSet<(string, string)>();
    var clock = Stopwatch.StartNew();
    foreach (var chunk in rows.Chunk(batchSize))
    {
        Exec(connection, "BEGIN");
        foreach (var row in chunk)
        {
            var k = row.Keys;
            eventRows.Insert((1L << 40) + row.Event.Seq, 1, row.Event.Seq, row.Event.Id, k, row.Digest, row.Hash, row.Body);
            if (k.ActorEmail is not null && pairs.Add((k.ActorEmail, k.ActorId ?? "")))
            {
                pair.Bind(1, 1);
                pair.Bind(2, k.ActorEmail);
                pair.Bind(3, k.ActorId ?? "");
                pair.Execute();
            }
        }

        Exec(connection, "COMMIT");
    }

    var seconds = clock.Elapsed.TotalSeconds;
    connection.Close();
    SqliteConnection.ClearAllPools();
    Directory.Delete(folder, true);
    return seconds;
}

static async Task QueryAndVerifyAsync(int count, StringBuilder report)
{
    var folder = TempFolder();
    var store = await InitializedStoreAsync(Path.Combine(folder, "witness.db"));
    var events = BenchEvents.Generate(count, "bench");
    var clock = Stopwatch.StartNew();
    foreach (var group in events.Chunk(5000))
    {
        await store.AppendAsync([[.. group.Select(e => new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true))]], DateTimeOffset.UtcNow, CancellationToken.None);
    }

    var loadRate = count / clock.Elapsed.TotalSeconds;
    await store.DisposeAsync();

    var app = await WitnessServer.BuildAsync(new WitnessServerOptions { DataDirectory = folder, Urls = "http://127.0.0.1:0", RateLimits = { TenantEventsPerSecond = 0, KeyEventsPerSecond = 0, TenantReadsPerSecond = 0, KeyReadsPerSecond = 0 } });
    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    var served = app.Services.GetRequiredService<IWitnessStore>();
    var (key, record) = ApiKeys.Create("bench", [Scopes.EventsRead], "bench", DateTimeOffset.UtcNow);
    await served.CreateApiKeyAsync(record, CancellationToken.None);
    using var client = new HttpClient { BaseAddress = new Uri(address) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

    var queries = new (string Name, string Query)[]
    {
        ("first page, no filter", ""),
        ("actor", "actor=u_417"),
        ("actor email", "actor=user417@acme.example"),
        ("action", "action=inbox.delete"),
        ("action prefix", "action=team.*"),
        ("tab: access", "type=access"),
        ("tab: webhook failures", "type=webhook_failure"),
        ("category", "category=Macros"),
        ("outcome failure", "outcome=failure"),
        ("target", "target=inbox:24017"),
        ("ip CIDR", "ip=203.0.3.0/24"),
        ("one day", "from=2026-10-15&to=2026-10-16"),
        ("q: action + outcome", "q=action:user.login_failed%20outcome:failure"),
        ("q: free text", "q=%22user%20417%22"),
        ("q: a word in no event", "q=Berlin"),
        ("q: a word in 1 of 1,000", "q=user417"),
        ("q: a word in 1 of 60", "q=%22inbox%2042%22"),
        ("q: a word in every event", "q=milan"),
        ("q: OR of two phrases", "q=%22user%20417%22%20OR%20%22user%20418%22"),
        ("q: group and negation", "q=(berlin%20OR%20%22wrong%20password%22)%20-user417"),
    };

    report.AppendLine(CultureInfo.InvariantCulture, $"## Search: first page (50) on {count:N0} events (loaded through the store at {loadRate:N0} events/s)");
    report.AppendLine();
    report.AppendLine("| filter | HTTP p50 ms | HTTP p99 ms | raw SQLite p50 ms | raw SQLite p99 ms |");
    report.AppendLine("| --- | ---: | ---: | ---: | ---: |");
    var rawPath = Path.Combine(folder, "witness.db");
    foreach (var (name, query) in queries)
    {
        var http = new List<double>();
        var raw = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await client.GetAsync($"/v1/events?limit=50&{query}");
            await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{query}: {(int)response.StatusCode}");
            }

            if (i >= 20)
            {
                http.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var filter = EventFilterBinder.FromParameters(
            n => System.Web.HttpUtility.ParseQueryString(query)[n], TimeZoneInfo.Utc);
        using (var connection = new SqliteConnection($"Data Source={rawPath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            Exec(connection, "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;");
            for (var i = 0; i < 220; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var command = connection.CreateCommand();
                List<string>? emailActors = null;
                if (SqliteSearch.DrivingEmail(filter) is { } email)
                {
                    // The same lookup the store makes before an email search.
                    using var lookup = connection.CreateCommand();
                    lookup.CommandText = SqliteSearch.ActorsOfEmailSql;
                    lookup.Parameters.AddWithValue("$t", 1);
                    lookup.Parameters.AddWithValue("$email", email);
                    using var actors = lookup.ExecuteReader();
                    emailActors = [];
                    while (actors.Read())
                    {
                        emailActors.Add(actors.GetString(0));
                    }
                }

                SqliteSearch.Build(command, 1, filter, null, 51, emailActors);
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        reader.GetFieldValue<byte[]>(2);
                    }
                }

                if (i >= 20)
                {
                    raw.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} (`{query}`) | {Stats.Percentile(http, 50):N2} | {Stats.Percentile(http, 99):N2} | {Stats.Percentile(raw, 50):N2} | {Stats.Percentile(raw, 99):N2} |");
    }

    var key2 = app.Services.GetRequiredService<SigningKey>();
    clock.Restart();
    var result = await new ChainVerifier(served, key2.Key, key2.KeyName).VerifyAsync("bench", CancellationToken.None);
    var verifySeconds = clock.Elapsed.TotalSeconds;
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"## Verification: {result.Events:N0} events recomputed and checked in {verifySeconds:N2} s (ok: {result.Ok})");
    report.AppendLine();
    Console.WriteLine(report);

    await app.StopAsync();
    await app.DisposeAsync();
    Directory.Delete(folder, true);
}

static async Task VerifyAsync(int count, string? kept, StringBuilder report)
{
    var folder = kept ?? TempFolder();
    Directory.CreateDirectory(folder);
    var path = Path.Combine(folder, "witness.db");
    var store = await InitializedStoreAsync(path);
    var size = (await store.GetFrontierAsync("bench", CancellationToken.None))?.Size ?? 0;
    if (size != count)
    {
        if (size != 0)
        {
            throw new InvalidOperationException($"{folder} holds {size:N0} events, not {count:N0}: name another --store");
        }

        foreach (var group in BenchEvents.Generate(count, "bench").Chunk(5000))
        {
            await store.AppendAsync([[.. group.Select(e => new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true))]], DateTimeOffset.UtcNow, CancellationToken.None);
        }
    }

    using var signingKey = SigningKey.LoadOrCreate(folder, "bench.witness");
    var verifier = new ChainVerifier(store, signingKey.Key, signingKey.KeyName);
    report.AppendLine(CultureInfo.InvariantCulture, $"## Verification of a {count:N0}-event tenant (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    report.AppendLine();
    for (var run = 1; run <= 3; run++)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
        var clock = Stopwatch.StartNew();
        var result = await verifier.VerifyAsync("bench", CancellationToken.None);
        Console.WriteLine($"GCs {GC.CollectionCount(0) - gcs.Item1}/{GC.CollectionCount(1) - gcs.Item2}/{GC.CollectionCount(2) - gcs.Item3}, paused {(GC.GetTotalPauseDuration() - gcs.Item4).TotalMilliseconds:N0} ms, allocated {(GC.GetTotalAllocatedBytes() - gcs.Item5) / 1e6:N0} MB");
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        report.AppendLine(CultureInfo.InvariantCulture, $"- run {run}: {result.Events:N0} events checked in {seconds:N2} s ({cpuSeconds:N2} s of CPU), ok: {result.Ok}");
        Console.WriteLine(report);
    }

    // What the parts of a verification cost on their own: reading the rows, the target index, the layout checks.
    // One core, stage by stage: what each part of the work costs per million events.
    var tenantUtf8 = Encoding.UTF8.GetBytes("bench");
    var fill = TimeSpan.Zero;
    var leaves = TimeSpan.Zero;
    var checks = TimeSpan.Zero;
    long checkBytes = 0;
    var declined = 0;
    var block = new LogRowBlock(8192);
    var leafHashes = new byte[8192 * MerkleHash.Size];
    await using (var rows = store.OpenLogRows("bench", 1, CancellationToken.None))
    {
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            if (!await rows.FillAsync(block, CancellationToken.None))
            {
                break;
            }

            fill += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            for (var i = 0; i < block.Count; i++)
            {
                MerkleHash.Leaf(block.Cell(i, LogColumn.Body), leafHashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size));
            }

            leaves += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < block.Count; i++)
            {
                declined += RowBytesCheck.Matches(block, i, tenantUtf8, out _) ? 0 : 1;
            }

            checkBytes += GC.GetAllocatedBytesForCurrentThread() - before;

            checks += Stopwatch.GetElapsedTime(started);
        }
    }

    report.AppendLine(CultureInfo.InvariantCulture, $"  - stages on one core: reading rows {fill.TotalSeconds:N2} s, leaf hashes {leaves.TotalSeconds:N2} s, index column checks {checks.TotalSeconds:N2} s ({checkBytes / 1e6:N0} MB allocated, {declined:N0} rows left to the full check)");
    // As the verifier's workers do: the nodes of each aligned subtree of 4096 leaves, hashed in place, then the subtrees joined.
    const int SubtreeLevel = 12;
    var frontier = new MerkleFrontier();
    var subtree = new byte[MerkleHash.Size << SubtreeLevel];
    await TimeAsync($"hashing the tree over as many leaves, in subtrees of {1 << SubtreeLevel} (SHA-256 {(Sha256.IsNative ? "by OpenSSL directly" : "by .NET")})", () =>
    {
        for (long at = 0; at + (1 << SubtreeLevel) <= count; at += 1 << SubtreeLevel)
        {
            for (var level = 1; level <= SubtreeLevel; level++)
            {
                MerkleHash.HashLevelUp(subtree, 1 << (SubtreeLevel - level));
            }

            frontier.AppendSubtree(SubtreeLevel, subtree.AsSpan(0, MerkleHash.Size), (_, _, _) => { });
        }

        return Task.CompletedTask;
    });
    await TimeAsync("read the target index", () => store.VisitTargetRowsAsync("bench", (_, _, _) => { }, CancellationToken.None));
    await TimeAsync("count the tenant's rows", () => store.CountEventRowsAsync("bench", CancellationToken.None));
    Console.WriteLine(report);

    async Task TimeAsync(string what, Func<Task> work)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await work();
        report.AppendLine(CultureInfo.InvariantCulture, $"  - {what}: {clock.Elapsed.TotalSeconds:N2} s ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:N2} s of CPU)");
    }

    await store.DisposeAsync();
    if (kept is null)
    {
        Directory.Delete(folder, true);
    }
}

static async Task<SqliteStore> InitializedStoreAsync(string path)
{
    var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = path });
    await store.InitializeAsync(CancellationToken.None);
    return store;
}

static void Exec(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

static string TempFolder()
{
    var path = Path.Combine(Path.GetTempPath(), $"witness-bench-{Guid.NewGuid():N}");
    Directory.CreateDirectory(path);
    return path;
}
