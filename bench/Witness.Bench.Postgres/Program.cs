using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using Witness.Access;
using Witness.Bench;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;
using Witness.Storage.Postgres;

// Witness on PostgreSQL beside the raw engine: HTTP ingest with one and two `witness serve --postgres`
// processes against binary COPY (and multi-row INSERT) of the same rows into the same schema and
// indexes, then first-page search latency on a large tenant over loopback HTTP.
//   dotnet run -c Release --project bench/Witness.Bench.Postgres -- --postgres "Host=...;Username=...;Database=postgres"
//       [--events N] [--query-events N] [--clients N] [--months N (older month partitions)]
// bench/postgres.sh starts a throwaway cluster and runs this.
string Text(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
int Arg(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var server = Text("--postgres");
var ingestEvents = Arg("--events", 200_000);
var queryEvents = Arg("--query-events", 1_000_000);
var clients = Arg("--clients", 8);
// Older (empty) month partitions beside the searched events, as a long-running install has: every
// search plans and opens each month.
var months = Arg("--months", 0);
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"# Witness on PostgreSQL, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
report.AppendLine();

var work = Directory.CreateTempSubdirectory("witness-bench-pg").FullName;
var keyFile = Path.Combine(work, "signing-key.pem");
using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
{
    await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
}

var events = BenchEvents.Generate(ingestEvents, "bench");
var bodies = events.Chunk(500)
    .Select(chunk => Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. chunk.Select(BenchEvents.ClientJson)]) }.ToJsonString()))
    .ToArray();

report.AppendLine(CultureInfo.InvariantCulture, $"## Ingest of {ingestEvents:N0} events (batches of 500, {clients} concurrent clients over loopback HTTP, after 2 x 20,000 untimed events per instance to another tenant, sent as concurrently as the timed run, 1 s pause after each; raw loads after 40,000 untimed rows to another tenant; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
report.AppendLine();
report.AppendLine("| run | events/s | ratio to raw COPY (mean of both runs) | CPU us/event: Witness (raw: the loading client) | CPU us/event: PostgreSQL | machine idle |");
report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
// Raw COPY is run again after the Witness runs: on this shared machine its speed drifts by a fifth and
// more within minutes, so each ratio is taken against the mean of the two, and both are reported.
var copyBefore = await RawAsync(server, events, useCopy: true);
var insert = await RawAsync(server, events, useCopy: false);
var one = await HttpIngestAsync(server, bodies, clients, instances: 1, keyFile, work);
var two = await HttpIngestAsync(server, bodies, clients, instances: 2, keyFile, work);
var copyAfter = await RawAsync(server, events, useCopy: true);
var copyRate = (copyBefore.Rate + copyAfter.Rate) / 2;
void Row(string run, (double Rate, MachineCpu.Share Cpu) result) =>
    report.AppendLine(CultureInfo.InvariantCulture, $"| {run} | {result.Rate:N0} | {result.Rate / copyRate:F2} | {result.Cpu.Witness:F1} | {result.Cpu.Postgres:F1} | {result.Cpu.Idle:P0} |");
Row("raw binary COPY, 10,000 rows per transaction (events, event_ids, event_targets), first", copyBefore);
Row("raw multi-row INSERT, 1,000 rows per statement, 10,000 per transaction", insert);
Row("Witness, 1 instance", one);
Row("Witness, 2 instances, same tenant", two);
Row("raw binary COPY again, after the Witness runs", copyAfter);
report.AppendLine();
report.AppendLine(CultureInfo.InvariantCulture, $"Ratios are to the mean of the two raw COPY runs, {copyRate:N0} rows/s.");
report.AppendLine();
await SearchAsync(server, queryEvents, months, keyFile, work, report);

Console.WriteLine();
Console.WriteLine(report);
Directory.CreateDirectory(Path.Combine("bench", "results"));
var file = Path.Combine("bench", "results", $"postgres-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.md");
await File.WriteAllTextAsync(file, report.ToString());
Console.WriteLine($"written to {file}");
Directory.Delete(work, recursive: true);

// The rows Witness writes for these events, written straight into a fresh database with the same schema.
static async Task<(double Rate, MachineCpu.Share Cpu)> RawAsync(string server, AuditEvent[] events, bool useCopy)
{
    await using var database = await BenchDatabase.CreateAsync(server);
    await using (var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString }))
    {
        await store.InitializeAsync(CancellationToken.None);
    }

    var received = EventParser.Truncate(DateTimeOffset.UtcNow);
    var rows = events.Select((e, i) =>
    {
        var stored = e with { Seq = i + 1, ReceivedAt = received };
        var body = CanonicalEvent.Write(stored);
        return (Entry: new LogEntry(stored, body, MerkleHash.Leaf(body), CanonicalEvent.ContentDigest(e), EventIndexKeys.From(stored)), Tenant: 1L);
    }).ToArray();
    await using (var setup = new NpgsqlConnection(database.ConnectionString))
    {
        await setup.OpenAsync();
        await new NpgsqlCommand("INSERT INTO tenants (id, name, frontier) VALUES (1, 'bench', '\\x'), (2, 'warmup', '\\x')", setup).ExecuteNonQueryAsync();
    }

    await using var connection = new NpgsqlConnection(database.ConnectionString);
    await connection.OpenAsync();

    // Warmed as the Witness instances are: 40,000 untimed rows to another tenant first, then a pause, so
    // the timed run measures a loading client past its JIT warm-up and tables that already hold rows.
    await LoadAsync(rows.Take(40_000).Select(r => r with { Tenant = 2L }).ToArray());
    await Task.Delay(TimeSpan.FromSeconds(1));
    var cpuBefore = MachineCpu.Sample([Environment.ProcessId]);
    var clock = Stopwatch.StartNew();
    await LoadAsync(rows);

    async Task LoadAsync((LogEntry Entry, long Tenant)[] load)
    {
        foreach (var chunk in load.Chunk(10_000))
        {
            await using var tx = await connection.BeginTransactionAsync();
            if (useCopy)
            {
                await RawRows.CopyAsync(connection, chunk);
            }
            else
            {
                foreach (var statement in chunk.Chunk(1_000))
                {
                    await RawRows.InsertAsync(connection, tx, statement);
                }
            }

            await tx.CommitAsync();
        }
    }

    var rate = events.Length / clock.Elapsed.TotalSeconds;
    var cpu = MachineCpu.Sample([Environment.ProcessId]).Since(cpuBefore, events.Length);
    Console.WriteLine($"raw {(useCopy ? "COPY" : "INSERT")}: {rate:N0} rows/s; CPU us/row: client {cpu.Witness:F1}, PostgreSQL {cpu.Postgres:F1}; idle {cpu.Idle:P0}");
    return (rate, cpu);
}

static async Task<(double Rate, MachineCpu.Share Cpu)> HttpIngestAsync(string server, byte[][] bodies, int clients, int instances, string keyFile, string work)
{
    await using var database = await BenchDatabase.CreateAsync(server);
    var processes = await Task.WhenAll(Enumerable.Range(0, instances).Select(i => ServeAsync(database.ConnectionString, keyFile, Path.Combine(work, $"data-{instances}-{i}"))));
    try
    {
        var key = await CreateKeyAsync(database.ConnectionString);

        // Each instance first takes 2 x 40 batches of its own for another tenant, untimed, from as many
        // concurrent clients as it has in the timed run, with a pause after each round: the timed run
        // measures servers past their start-up, as running servers are. The runtime starts counting calls
        // for tiered compilation only once no new method has been compiled for a moment, so one round sent
        // straight before the timed run left the hot ingest paths running unoptimized code in it (the JIT
        // thread took a fifth to a quarter of the server's CPU in the timed run).
        var warmupKey = await CreateKeyAsync(database.ConnectionString, "warmup");
        var perInstance = Math.Max(1, clients / instances);
        for (var round = 0; round < 2; round++)
        {
            await Task.WhenAll(processes.SelectMany((p, instance) => Enumerable.Range(0, perInstance).Select(c => Task.Run(async () =>
            {
                using var client = new HttpClient { BaseAddress = p.Address, Timeout = TimeSpan.FromMinutes(2) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", warmupKey);
                foreach (var body in bodies.Skip((round * instances + instance) * 40).Take(40).Where((_, i) => i % perInstance == c))
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    (await client.PostAsync("/v1/events", content)).EnsureSuccessStatusCode();
                }
            }))));
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var next = -1;
        var events = 0L;
        var cpuBefore = MachineCpu.Sample(processes.Select(p => p.Process.Id));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = processes[c % instances].Address, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var response = await client.PostAsync("/v1/events", content);
                if ((int)response.StatusCode != 201)
                {
                    throw new InvalidOperationException($"ingest failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                Interlocked.Add(ref events, 500);
            }
        })));
        var rate = Math.Min(events, bodies.Length * 500L) / clock.Elapsed.TotalSeconds;
        var cpu = MachineCpu.Sample(processes.Select(p => p.Process.Id)).Since(cpuBefore, Math.Min(events, bodies.Length * 500L));
        Console.WriteLine($"Witness, {instances} instance(s): {rate:N0} events/s; CPU us/event: Witness {cpu.Witness:F1}, PostgreSQL {cpu.Postgres:F1}; idle {cpu.Idle:P0}");
        return (rate, cpu);
    }
    finally
    {
        foreach (var process in processes)
        {
            process.Dispose();
        }
    }
}

static async Task SearchAsync(string server, int count, int months, string keyFile, string work, StringBuilder report)
{
    await using var database = await BenchDatabase.CreateAsync(server);
    var fill = Stopwatch.StartNew();
    await using (var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString }))
    {
        await store.InitializeAsync(CancellationToken.None);
        await using (var owner = new NpgsqlConnection(database.ConnectionString))
        {
            await owner.OpenAsync();
            for (var month = 1; month <= months; month++)
            {
                await using var create = new NpgsqlCommand("SELECT witness_create_event_partitions((date_trunc('month', now()) - make_interval(months => $1))::date)", owner);
                create.Parameters.Add(new NpgsqlParameter { Value = month });
                await create.ExecuteNonQueryAsync();
            }
        }

        for (var start = 0; start < count; start += 100_000)
        {
            var events = BenchEvents.Generate(Math.Min(100_000, count - start), "acme", seed: start + 1);
            foreach (var group in events.Chunk(10_000))
            {
                var requests = group.Chunk(500).Select(r => (IReadOnlyList<SubmittedEvent>)[.. r.Select(e => new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: false))]).ToList();
                await store.AppendAsync(requests, DateTimeOffset.UtcNow, CancellationToken.None);
            }
        }
    }

    Console.WriteLine($"filled {count:N0} events in {fill.Elapsed.TotalSeconds:F0} s through the store ({count / fill.Elapsed.TotalSeconds:N0} events/s)");
    await using (var connection = new NpgsqlConnection(database.ConnectionString))
    {
        await connection.OpenAsync();
        await new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
    }

    using var process = await ServeAsync(database.ConnectionString, keyFile, Path.Combine(work, "data-search"));
    var key = await CreateKeyAsync(database.ConnectionString, "acme");
    using var client = new HttpClient { BaseAddress = process.Address };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    string[] queries =
    [
        "", "action=inbox.delete", "actor=u_17", "actor=user17@acme.example", "action=inbox.*", "type=access", "outcome=failure",
        "target=inbox:24007", "q=" + Uri.EscapeDataString("ip:203.0.3.0/24"), "q=" + Uri.EscapeDataString("\"wrong password\""),
        "q=" + Uri.EscapeDataString("category:Teams -outcome:failure"), "from=2026-10-10T00:00:00Z&to=2026-10-11T00:00:00Z",
        "q=Berlin", "q=user417", "q=" + Uri.EscapeDataString("\"inbox 42\""), "q=milan", "q=" + Uri.EscapeDataString("\"user 417\" OR \"user 418\""),
        "q=" + Uri.EscapeDataString("(berlin OR \"wrong password\") -user417"),
    ];
    report.AppendLine(CultureInfo.InvariantCulture, $"## First page (50) of a filtered search on {count:N0} events, {months + 3} month partitions, over loopback HTTP (200 requests each)");
    report.AppendLine();
    report.AppendLine("| filter | p50 ms | p99 ms |");
    report.AppendLine("| --- | ---: | ---: |");
    foreach (var query in queries)
    {
        var samples = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await client.GetAsync($"/v1/events?limit=50&{query}");
            await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"search '{query}' failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            if (i >= 20)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var label = query.Length == 0 ? "(none)" : Uri.UnescapeDataString(query);
        report.AppendLine(CultureInfo.InvariantCulture, $"| `{label}` | {Stats.Percentile(samples, 50):F2} | {Stats.Percentile(samples, 99):F2} |");
        Console.WriteLine($"{label}: p50 {Stats.Percentile(samples, 50):F2} ms, p99 {Stats.Percentile(samples, 99):F2} ms");
    }
}

static async Task<string> CreateKeyAsync(string connectionString, string tenant = "bench")
{
    await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = connectionString });
    await store.InitializeAsync(CancellationToken.None);
    var (key, record) = ApiKeys.Create(tenant, Scopes.All, "bench", DateTimeOffset.UtcNow);
    await store.CreateApiKeyAsync(record, CancellationToken.None);
    return key;
}

static async Task<ServedInstance> ServeAsync(string connectionString, string keyFile, string data)
{
    var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "witness.dll"), "serve", "--postgres", connectionString, "--signing-key", keyFile, "--data", data, "--urls", "http://127.0.0.1:0", "--events-per-second", "0", "--reads-per-second", "0" })
    {
        start.ArgumentList.Add(argument);
    }

    var process = Process.Start(start)!;
    process.ErrorDataReceived += (_, e) =>
    {
        if (e.Data is not null)
        {
            Console.Error.WriteLine($"[witness] {e.Data}");
        }
    };
    process.BeginErrorReadLine();
    while (await process.StandardOutput.ReadLineAsync() is { } line)
    {
        if (Regex.Match(line, @"Witness is listening on (\S+) ") is { Success: true } match)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            return new ServedInstance(process, new Uri(match.Groups[1].Value));
        }
    }

    throw new InvalidOperationException("witness serve exited before listening");
}

internal sealed record ServedInstance(Process Process, Uri Address) : IDisposable
{
    public void Dispose()
    {
        Process.Kill(entireProcessTree: true);
        Process.WaitForExit();
        Process.Dispose();
    }
}

/// <summary>A fresh database on the benchmark server, dropped at the end.</summary>
internal sealed class BenchDatabase(string server, string name) : IAsyncDisposable
{
    public string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;

    public static async Task<BenchDatabase> CreateAsync(string server)
    {
        var database = new BenchDatabase(server, $"witness_bench_{Guid.NewGuid():N}");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await new NpgsqlCommand($"CREATE DATABASE \"{new NpgsqlConnectionStringBuilder(database.ConnectionString).Database}\"", connection).ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection).ExecuteNonQueryAsync();
    }
}

/// <summary>The rows of events, written the two ways PostgreSQL offers for bulk loads.</summary>
internal static class RawRows
{
    public static async Task CopyAsync(NpgsqlConnection connection, (LogEntry Entry, long Tenant)[] rows)
    {
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY events (tenant_id, seq, received_at, occurred_at, event_id, type, action, category, outcome, actor_id, actor_email, ip, search_text, hash, body) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (entry, tenant) in rows)
            {
                var k = entry.Keys;
                await writer.StartRowAsync();
                await writer.WriteAsync(tenant, NpgsqlDbType.Bigint);
                await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint);
                await writer.WriteAsync(Time(k.ReceivedAtMicros), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(Time(k.OccurredAtMicros), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(entry.Event.Id, NpgsqlDbType.Text);
                await writer.WriteAsync(k.Type, NpgsqlDbType.Text);
                await writer.WriteAsync(k.Action, NpgsqlDbType.Text);
                await writer.WriteAsync((object?)k.Category ?? DBNull.Value, NpgsqlDbType.Text);
                await writer.WriteAsync(k.Outcome, NpgsqlDbType.Text);
                await writer.WriteAsync((object?)k.ActorId ?? DBNull.Value, NpgsqlDbType.Text);
                await writer.WriteAsync((object?)k.ActorEmail ?? DBNull.Value, NpgsqlDbType.Text);
                await writer.WriteAsync((object?)k.Ip ?? DBNull.Value, NpgsqlDbType.Bytea);
                await writer.WriteAsync(k.SearchText, NpgsqlDbType.Text);
                await writer.WriteAsync(entry.Hash, NpgsqlDbType.Bytea);
                await writer.WriteAsync(entry.Body, NpgsqlDbType.Bytea);
            }

            await writer.CompleteAsync();
        }

        await using (var writer = await connection.BeginBinaryImportAsync("COPY event_ids (tenant_id, event_id, seq, received_at, content_digest) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (entry, tenant) in rows)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(tenant, NpgsqlDbType.Bigint);
                await writer.WriteAsync(entry.Event.Id, NpgsqlDbType.Text);
                await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint);
                await writer.WriteAsync(Time(entry.Keys.ReceivedAtMicros), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(entry.ContentDigest, NpgsqlDbType.Bytea);
            }

            await writer.CompleteAsync();
        }

        await using (var writer = await connection.BeginBinaryImportAsync("COPY event_targets (tenant_id, target_id, target_type, occurred_at, seq, received_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (entry, tenant) in rows)
            {
                foreach (var (type, id) in entry.Keys.Targets.Distinct())
                {
                    await writer.StartRowAsync();
                    await writer.WriteAsync(tenant, NpgsqlDbType.Bigint);
                    await writer.WriteAsync(id, NpgsqlDbType.Text);
                    await writer.WriteAsync(type, NpgsqlDbType.Text);
                    await writer.WriteAsync(Time(entry.Keys.OccurredAtMicros), NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint);
                    await writer.WriteAsync(Time(entry.Keys.ReceivedAtMicros), NpgsqlDbType.TimestampTz);
                }
            }

            await writer.CompleteAsync();
        }
    }

    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, (LogEntry Entry, long Tenant)[] rows)
    {
        var batch = new NpgsqlBatch(connection, tx);
        var events = new NpgsqlBatchCommand(
            """
            INSERT INTO events (tenant_id, seq, received_at, occurred_at, event_id, type, action, category, outcome, actor_id, actor_email, ip, search_text, hash, body)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                                 $10::text[], $11::text[], $12::bytea[], $13::text[], $14::bytea[], $15::bytea[])
            """);
        object[] columns =
        [
            rows.Select(r => r.Tenant).ToArray(), rows.Select(r => r.Entry.Seq).ToArray(),
            rows.Select(r => Time(r.Entry.Keys.ReceivedAtMicros)).ToArray(), rows.Select(r => Time(r.Entry.Keys.OccurredAtMicros)).ToArray(),
            rows.Select(r => r.Entry.Event.Id).ToArray(), rows.Select(r => r.Entry.Keys.Type).ToArray(), rows.Select(r => r.Entry.Keys.Action).ToArray(),
            rows.Select(r => r.Entry.Keys.Category).ToArray(), rows.Select(r => r.Entry.Keys.Outcome).ToArray(), rows.Select(r => r.Entry.Keys.ActorId).ToArray(),
            rows.Select(r => r.Entry.Keys.ActorEmail).ToArray(), rows.Select(r => r.Entry.Keys.Ip).ToArray(), rows.Select(r => r.Entry.Keys.SearchText).ToArray(),
            rows.Select(r => r.Entry.Hash).ToArray(), rows.Select(r => r.Entry.Body).ToArray(),
        ];
        foreach (var column in columns)
        {
            events.Parameters.Add(new NpgsqlParameter { Value = column });
        }

        var ids = new NpgsqlBatchCommand(
            "INSERT INTO event_ids (tenant_id, event_id, seq, received_at, content_digest) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[], $5::bytea[])");
        ids.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Tenant).ToArray() });
        ids.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Entry.Event.Id).ToArray() });
        ids.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Entry.Seq).ToArray() });
        ids.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => Time(r.Entry.Keys.ReceivedAtMicros)).ToArray() });
        ids.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Entry.ContentDigest).ToArray() });

        var targets = rows.SelectMany(r => r.Entry.Keys.Targets.Distinct().Select(t => (r.Tenant, t.Id, t.Type, r.Entry.Keys.OccurredAtMicros, r.Entry.Seq, r.Entry.Keys.ReceivedAtMicros))).ToArray();
        var targetRows = new NpgsqlBatchCommand(
            "INSERT INTO event_targets (tenant_id, target_id, target_type, occurred_at, seq, received_at) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::timestamptz[])");
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.Tenant).ToArray() });
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.Id).ToArray() });
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.Type).ToArray() });
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => Time(t.OccurredAtMicros)).ToArray() });
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.Seq).ToArray() });
        targetRows.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => Time(t.ReceivedAtMicros)).ToArray() });
        batch.BatchCommands.Add(events);
        batch.BatchCommands.Add(ids);
        batch.BatchCommands.Add(targetRows);
        await batch.ExecuteNonQueryAsync();
    }

    private static DateTime Time(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10);
}

/// <summary>
/// CPU time from /proc, so a run can say where its time went even when the shared machine's speed
/// drifts: the given processes (Witness instances, or the loading client), every PostgreSQL process
/// (with the backends that ended meanwhile, counted in the postmaster's children), and the machine's
/// idle share.
/// </summary>
internal static class MachineCpu
{
    public sealed record Share(double Witness, double Postgres, double Idle);

    public sealed record Snapshot(double Processes, double Postgres, long IdleTicks, long TotalTicks)
    {
        public Share Since(Snapshot before, long events) => new(
            (Processes - before.Processes) * 1e6 / events,
            (Postgres - before.Postgres) * 1e6 / events,
            TotalTicks == before.TotalTicks ? 0 : (double)(IdleTicks - before.IdleTicks) / (TotalTicks - before.TotalTicks));
    }

    public static Snapshot Sample(IEnumerable<int> pids)
    {
        var processes = pids.Sum(pid => Seconds(pid, children: false));
        var postgres = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Read(Path.Combine(dir, "comm"))?.Trim() == "postgres")
            {
                postgres += Seconds(pid, children: true);
            }
        }

        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return new Snapshot(processes, postgres, cpu[3] + cpu[4], cpu.Take(8).Sum());
    }

    private static double Seconds(int pid, bool children)
    {
        if (Read($"/proc/{pid}/stat") is not { } stat)
        {
            return 0;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (children)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks / 100.0;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the process ended while it was being read
        }
    }
}
