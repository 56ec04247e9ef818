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
/// <c>Witness.Bench.Ingest.dll --search --events N --store DIR|none [--postgres CONNECTION] [--text-block-events N] [--reindex]</c>. A store
/// already holding N events is reused; otherwise it is filled through the store's AppendAsync in
/// groups of 4,000 (the fill time is printed). <c>--reindex</c> drops the free-text blocks of a
/// filled store and indexes its events again in blocks of <c>--text-block-events</c> (the store's
/// own backlog indexing at start), so block sizes can be compared on one fill. Each query runs 60
/// times (10 warm-up); the CPU column is this process's CPU time per query (the PostgreSQL server's
/// is not in it). For SQLite the stages of the rare word are timed apart: the FTS5 lookup of
/// candidate blocks and the read of their rows.
/// </summary>
internal static class SearchBench
{
    private static readonly string[] Queries =
    [
        "", "Berlin", "user417", "\"user 417\"", "\"inbox 42\"", "milan", "\"user 417\" OR \"user 418\"",
        "(berlin OR \"wrong password\") -user417", "zzzzzz", "ab",
    ];

    public static async Task RunAsync(int count, string folder, string? postgres, int textBlockEvents, bool reindex)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# Free-text first pages (50), {count:N0} bench events, load {File.ReadAllText("/proc/loadavg").Trim()}"));
        if (folder != "none")
        {
            var path = SqliteStoreOptions.InFolder(folder).DatabasePath;
            if (reindex)
            {
                await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
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

            var started = Stopwatch.StartNew();
            await using var sqlite = new SqliteStore(new SqliteStoreOptions { DatabasePath = path, TextBlockEvents = textBlockEvents });
            await sqlite.InitializeAsync(CancellationToken.None);
            if (reindex)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sqlite: indexed again in blocks of {textBlockEvents} in {started.Elapsed.TotalSeconds:F0} s"));
            }

            await MeasureAsync("sqlite", sqlite, count);
            await SqliteStagesAsync(path, "user417");
            await SqliteStagesAsync(path, "milan");
        }

        if (postgres is not null)
        {
            if (reindex)
            {
                await using var connection = new Npgsql.NpgsqlConnection(postgres);
                await connection.OpenAsync();
                await using var reset = new Npgsql.NpgsqlCommand(
                    """
                    BEGIN;
                    TRUNCATE text_blocks;
                    DELETE FROM text_backlog;
                    INSERT INTO text_backlog (tenant_id, next_seq, end_seq) SELECT id, 1, log_size + 1 FROM tenants WHERE log_size > 0;
                    COMMIT;
                    """, connection);
                await reset.ExecuteNonQueryAsync();
            }

            var started = Stopwatch.StartNew();
            await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = postgres, TextBlockEvents = textBlockEvents });
            await store.InitializeAsync(CancellationToken.None);
            if (reindex)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"postgres: indexed again in blocks of {textBlockEvents} in {started.Elapsed.TotalSeconds:F0} s"));
            }

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

        Console.WriteLine($"| {name}: q | found | p50 ms | p99 ms | max ms | CPU ms/query |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var q in Environment.GetEnvironmentVariable("BENCH_QUERY") is { } only ? [only] : Queries)
        {
            var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
            var samples = new List<double>();
            var found = 0;
            var cpu = TimeSpan.Zero;
            var rounds = int.TryParse(Environment.GetEnvironmentVariable("BENCH_ROUNDS"), out var r) ? r : 60;
            for (var i = 0; i < rounds; i++)
            {
                if (i == 10)
                {
                    cpu = Process.GetCurrentProcess().TotalProcessorTime;
                }

                var t = Stopwatch.GetTimestamp();
                var page = await store.SearchAsync(tenant, filter, 50, null, CancellationToken.None);
                found = page.Events.Count;
                if (i >= 10)
                {
                    samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }

            var cpuPerQuery = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / samples.Count;
            samples.Sort();
            double P(double p) => samples[(int)Math.Min(samples.Count - 1, Math.Ceiling(p / 100 * samples.Count) - 1)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{q}` | {found} | {P(50):F2} | {P(99):F2} | {samples[^1]:F2} | {cpuPerQuery:F2} |"));
        }
    }

    /// <summary>
    /// The two stages of a free-text first page on SQLite, timed apart on one connection: the FTS5
    /// lookup of the candidate blocks (the query <c>SqliteStore.SearchTextBlocksAsync</c> runs) and
    /// the read and check of the newest 64 candidates' rows (<see cref="SqliteStore.BuildBlockRows"/>).
    /// </summary>
    private static async Task SqliteStagesAsync(string path, string q)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;";
            await pragmas.ExecuteNonQueryAsync();
        }

        long tenantId;
        long blocks;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, (SELECT count(*) FROM text_blocks b WHERE b.tenant_id = t.id) FROM tenants t WHERE name = 'bench'";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            (tenantId, blocks) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
        var condition = TextIndexCondition.From(filter)!;
        var lookup = new List<double>();
        var read = new List<double>();
        var candidates = new List<TextBlockRange>();
        var rows = 0;
        for (var i = 0; i < 40; i++)
        {
            candidates.Clear();
            var t = Stopwatch.GetTimestamp();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText =
                    """
                    SELECT r.first_seq, r.last_seq, r.min_occurred, r.max_occurred
                    FROM text_block_terms f CROSS JOIN text_blocks r ON r.block_id = f.rowid
                    WHERE text_block_terms MATCH $match AND r.tenant_id = $t
                    """;
                command.Parameters.AddWithValue("$t", tenantId);
                command.Parameters.AddWithValue("$match", $"\"t{tenantId}\" AND ({condition.ToFts5()})");
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    candidates.Add(new TextBlockRange(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }

            var t2 = Stopwatch.GetTimestamp();
            var newest = candidates.OrderByDescending(b => b.MaxOccurredMicros).Take(64).ToList();
            await using (var command = connection.CreateCommand())
            {
                SqliteStore.BuildBlockRows(command, tenantId, filter, null, newest, 51, null);
                await using var reader = await command.ExecuteReaderAsync();
                rows = 0;
                while (await reader.ReadAsync())
                {
                    rows++;
                }
            }

            if (i >= 10)
            {
                lookup.Add(Stopwatch.GetElapsedTime(t, t2).TotalMilliseconds);
                read.Add(Stopwatch.GetElapsedTime(t2).TotalMilliseconds);
            }
        }

        lookup.Sort();
        read.Sort();
        var plain = condition.ToFts5();
        var withTenant = await FtsCountAsync(connection, $"\"t{tenantId}\" AND ({plain})");
        var without = await FtsCountAsync(connection, plain);
        var tenantAlone = await FtsCountAsync(connection, $"\"t{tenantId}\"");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sqlite FTS5 alone (count of matching blocks, p50 of 20): with the tenant token {withTenant:F2} ms; without it {without:F2} ms; the tenant token alone {tenantAlone:F2} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sqlite stages of `{q}`: {candidates.Count:N0} candidate blocks of {blocks:N0}; FTS5 lookup p50 {lookup[lookup.Count / 2]:F2} ms; " +
            $"rows of the newest 64 candidates ({NewestEvents(candidates):N0} events, {rows} matches) p50 {read[read.Count / 2]:F2} ms"));

        static long NewestEvents(List<TextBlockRange> c) => c.OrderByDescending(b => b.MaxOccurredMicros).Take(64).Sum(b => b.LastSeq - b.FirstSeq + 1);
    }

    private static async Task<double> FtsCountAsync(Microsoft.Data.Sqlite.SqliteConnection connection, string match)
    {
        var times = new List<double>();
        for (var i = 0; i < 25; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM text_block_terms WHERE text_block_terms MATCH $match";
            command.Parameters.AddWithValue("$match", match);
            await command.ExecuteScalarAsync();
            if (i >= 5)
            {
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
