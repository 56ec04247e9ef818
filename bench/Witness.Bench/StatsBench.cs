using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using Witness.Events;
using Witness.Search;
using Witness.Stats;
using Witness.Storage;
using Witness.Storage.Postgres;
using Witness.Storage.Sqlite;

namespace Witness.Bench;

/// <summary>
/// <c>stats</c> mode: a month's activity histogram (the store's counts, as <c>GET /v1/events/stats</c>
/// asks for them, in process) on a tenant of --query-events events spread over 30 days, with each
/// filter of the search benchmark; the histogram alone (<c>top=0</c>) and with the four top lists.
/// SQLite in --store DIR (kept, so reruns skip the fill), PostgreSQL when --postgres names a database.
/// </summary>
internal static class StatsBench
{
    private static readonly (string Name, string Query)[] Filters =
    [
        ("no filter", ""),
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
        ("ip address", "ip=203.0.3.17"),
        ("q: action + outcome", "q=action:user.login_failed outcome:failure"),
        ("q: free text", "q=\"user 417\""),
        ("q: free text word", "q=user417"),
        ("q: free text + action", "q=user417 action:inbox.delete"),
    ];

    public static async Task RunAsync(int count, string? sqliteFolder, string? postgres, int runs, bool histogramOnly, string? only, StringBuilder report, bool fillBehind = false, bool reindexText = false)
    {
        // --filters "name,name": only those rows of the table (names as in Filters).
        var filters = only is null ? Filters : [.. Filters.Where(f => only.Split(',').Contains(f.Name, StringComparer.Ordinal))];
        var folder = sqliteFolder ?? Path.Combine(Path.GetTempPath(), $"witness-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var stores = new List<(string Name, IWitnessStore Store)>();
        var sqlitePath = Path.Combine(folder, "witness.db");
        if (reindexText && File.Exists(sqlitePath))
        {
            // --reindex-text: the free-text blocks are dropped and made again at start, in blocks of the store's default size
            // (stores filled before blocks of 64 hold blocks of 256, four times the rows per candidate block).
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sqlitePath}");
            await connection.OpenAsync();
            await using var reset = connection.CreateCommand();
            reset.CommandText =
                """
                BEGIN;
                INSERT INTO text_block_terms (text_block_terms) VALUES ('delete-all');
                DELETE FROM text_blocks;
                DELETE FROM text_backlog;
                INSERT INTO text_backlog (tenant_id, next_seq, end_seq) SELECT id, 1, log_size + 1 FROM tenants WHERE log_size > 0;
                COMMIT;
                """;
            await reset.ExecuteNonQueryAsync();
        }

        var opened = Stopwatch.StartNew();
        var sqlite = new SqliteStore(new SqliteStoreOptions { DatabasePath = sqlitePath, FillKeyDaysOnCount = !fillBehind });
        await sqlite.InitializeAsync(CancellationToken.None);
        Console.WriteLine($"SQLite store opened (migrations{(reindexText ? ", free-text blocks made again" : "")}) in {opened.Elapsed.TotalSeconds:N1} s");
        stores.Add(("SQLite", sqlite));
        if (postgres is not null)
        {
            if (reindexText)
            {
                await using var data = NpgsqlDataSource.Create(postgres);
                await using var reset = data.CreateCommand(
                    """
                    BEGIN;
                    TRUNCATE text_blocks;
                    DELETE FROM text_backlog;
                    INSERT INTO text_backlog (tenant_id, next_seq, end_seq) SELECT id, 1, log_size + 1 FROM tenants WHERE log_size > 0;
                    COMMIT;
                    """);
                await reset.ExecuteNonQueryAsync();
            }

            opened.Restart();
            var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = postgres, FillKeyDaysOnCount = !fillBehind });
            await store.InitializeAsync(CancellationToken.None);
            Console.WriteLine($"PostgreSQL store opened (migrations{(reindexText ? ", free-text blocks made again" : "")}) in {opened.Elapsed.TotalSeconds:N1} s");
            stores.Add(("PostgreSQL", store));
        }

        var results = new Dictionary<(string Store, string Filter), (List<double> Histogram, List<double> Full, double CpuMs, double FullCpuMs)>();
        foreach (var (name, store) in stores)
        {
            await FillAsync(store, count);
            if (store is PostgresStore)
            {
                await using var data = NpgsqlDataSource.Create(postgres!);
                await using var analyze = data.CreateCommand("VACUUM ANALYZE events");
                await analyze.ExecuteNonQueryAsync();
            }

            var service = new EventStatsService(store, TimeProvider.System);
            var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
            foreach (var (filterName, query) in filters)
            {
                var parameters = query.Length == 0 ? [] : new[] { query }.ToDictionary(q => q.Split('=', 2)[0], q => q.Split('=', 2)[1]);
                parameters["from"] = Rfc3339.FormatTrimmed(BenchEvents.End.AddDays(-30));
                parameters["to"] = Rfc3339.FormatTrimmed(BenchEvents.End);
                var filter = EventFilterBinder.FromParameters(n => parameters.GetValueOrDefault(n), zone);
                var histogram = new List<double>();
                var full = new List<double>();
                var cpu = TimeSpan.Zero;
                var fullCpu = TimeSpan.Zero;
                for (var i = 0; i < runs + 2; i++)
                {
                    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    var started = Stopwatch.GetTimestamp();
                    var stats = await service.CountAsync("bench", filter, zone, null, 0, CancellationToken.None);
                    var histogramMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    var cpuAfter = Process.GetCurrentProcess().TotalProcessorTime;
                    started = Stopwatch.GetTimestamp();
                    if (!histogramOnly)
                    {
                        await service.CountAsync("bench", filter, zone, null, 10, CancellationToken.None);
                    }

                    var fullMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (i >= 2)
                    {
                        histogram.Add(histogramMs);
                        full.Add(fullMs);
                        cpu += cpuAfter - cpuBefore;
                        fullCpu += Process.GetCurrentProcess().TotalProcessorTime - cpuAfter;
                    }

                    if (i == 0)
                    {
                        // The first count with top lists also fills the closed days' top-list counts the filter can use (KeyDayCounts),
                        // unless --fill-behind: then it scans them, and the server's loop's fill (timed here) runs after it.
                        var firstCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAfter;
                        Console.WriteLine($"{name} {filterName}: {stats.Events:N0} events in {stats.Bars.Count} {ActivityBuckets.Name(stats.Bucket)} bars, {histogramMs:N1} ms" +
                            (histogramOnly ? "" : $"; first count with top lists {fullMs:N1} ms (process CPU {firstCpu.TotalMilliseconds:N0} ms)"));
                        if (fillBehind && !histogramOnly)
                        {
                            var fillCpu = Process.GetCurrentProcess().TotalProcessorTime;
                            var fillStarted = Stopwatch.GetTimestamp();
                            var filled = await ((IKeyDayCountsStore)store).FillClosedDaysAsync("bench", 92, CancellationToken.None);
                            Console.WriteLine($"{name}: the fill loop's pass filled {filled} days in {Stopwatch.GetElapsedTime(fillStarted).TotalMilliseconds:N0} ms " +
                                $"(process CPU {(Process.GetCurrentProcess().TotalProcessorTime - fillCpu).TotalMilliseconds:N0} ms)");
                        }
                    }
                }

                results[(name, filterName)] = (histogram, full, cpu.TotalMilliseconds / runs, fullCpu.TotalMilliseconds / runs);
            }

            await store.DisposeAsync();
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"## Stats: a month's histogram (30 day bars, Europe/Rome) on {count:N0} events over 30 days, {runs} runs each (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"| filter | {string.Join(" | ", stores.Select(s => $"{s.Name} histogram p50 / p99 ms | process CPU ms | {s.Name} with top lists p50 / p99 ms (process CPU ms)"))} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| --- |{string.Concat(stores.Select(_ => " ---: | ---: | ---: |"))}");
        foreach (var (filterName, _) in filters)
        {
            var cells = stores.Select(s => results[(s.Name, filterName)]).Select(r =>
                $"{Stats.Percentile(r.Histogram, 50):N1} / {Stats.Percentile(r.Histogram, 99):N1} | {r.CpuMs:N1} | " +
                (histogramOnly ? "not run" : $"{Stats.Percentile(r.Full, 50):N1} / {Stats.Percentile(r.Full, 99):N1} ({r.FullCpuMs:N1})"));
            report.AppendLine(CultureInfo.InvariantCulture, $"| {filterName} | {string.Join(" | ", cells)} |");
        }

        report.AppendLine();
        if (sqliteFolder is null)
        {
            Directory.Delete(folder, true);
        }
    }

    private static async Task FillAsync(IWitnessStore store, int count)
    {
        var size = (await store.GetFrontierAsync("bench", CancellationToken.None))?.Size ?? 0;
        if (size == count)
        {
            return;
        }

        if (size != 0)
        {
            throw new InvalidOperationException($"the {store.Kind} store holds {size:N0} bench events, not {count:N0}: name another store");
        }

        var clock = Stopwatch.StartNew();
        foreach (var group in BenchEvents.Generate(count, "bench").Chunk(5000))
        {
            await store.AppendAsync([[.. group.Select(e => new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true))]], DateTimeOffset.UtcNow, CancellationToken.None);
        }

        Console.WriteLine($"{store.Kind}: {count:N0} events loaded in {clock.Elapsed.TotalSeconds:N0} s");
    }
}
