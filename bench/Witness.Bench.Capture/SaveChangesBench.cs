using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Witness.Client;
using Witness.EntityFrameworkCore;

namespace Witness.Bench.Capture;

/// <summary>
/// <c>SaveChangesAsync</c> of N changed entities (two properties each) on a SQLite file in WAL mode, with
/// synchronous=FULL (SQLite's default) and NORMAL, plain EF Core against the same context with
/// the Witness interceptor in outbox mode: the events are written to <c>witness_outbox</c> in the change's own
/// transaction. Each context lives for the whole run and holds its N entities tracked, so only the save is timed.
/// The outbox is not delivered (no host runs), so its rows accumulate, as they would while Witness is down.
/// Two environment variables change the plain arm for experiments: <c>BENCH_PLAIN_TX=tx|insert|raw</c> runs the plain save
/// in an EF transaction, adds the outbox INSERT of a fixed one-event payload, or does both on a raw SqliteTransaction (the
/// floor of a transactional outbox); <c>BENCH_NOOP_INTERCEPTOR=save,command,transaction</c> registers interceptors that do
/// nothing, to see what registering one costs EF Core.
/// </summary>
public class SaveChangesBench
{
    private readonly List<string> _folders = [];
    private ServiceProvider? _plainServices;
    private ServiceProvider? _captureServices;
    private BenchDb _plain = null!;
    private BenchDb _capture = null!;
    private List<Ticket> _plainTickets = null!;
    private List<Ticket> _captureTickets = null!;
    private int _round;

    [Params(1, 100)]
    public int Entities { get; set; }

    /// <summary>FULL (SQLite's default): every commit waits for an fsync of the WAL, the same one with or without capture. NORMAL: no fsync at commit, so the CPU cost of capture shows.</summary>
    [Params("FULL", "NORMAL")]
    public string Synchronous { get; set; } = "FULL";

    [GlobalSetup]
    public void Setup()
    {
        (_plainServices, _plain, _plainTickets) = Open(capture: false);
        (_captureServices, _capture, _captureTickets) = Open(capture: true);
    }

    // Never inlined (the JIT may otherwise inline a delegate's likely target), so that a profiler sees which arm a sample is of.
    [Benchmark(Baseline = true, Description = "plain EF Core")]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public Task<int> Plain() => Environment.GetEnvironmentVariable("BENCH_PLAIN_TX") is { } tx ? PlainInTransactionAsync(tx) : ChangeAndSaveAsync(_plain, _plainTickets);

    private System.Data.Common.DbCommand? _insert;

    private async Task<int> PlainInTransactionAsync(string how)
    {
        // The floor is BEGIN, the change, the INSERT and COMMIT: EF Core's savepoint around a save inside a transaction is not part of it.
        _plain.Database.AutoSavepointsEnabled = false;
        var connection = _plain.Database.GetDbConnection();
        if (how == "raw")
        {
            using var raw = connection.BeginTransaction();
            _plain.Database.UseTransaction(raw);
            var rawSaved = await ChangeAndSaveAsync(_plain, _plainTickets);
            Insert(raw);
            raw.Commit();
            _plain.Database.UseTransaction(null);
            return rawSaved;
        }

        await using var transaction = await _plain.Database.BeginTransactionAsync();
        var saved = await ChangeAndSaveAsync(_plain, _plainTickets);
        if (how == "insert")
        {
            Insert(Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(transaction));
        }

        await transaction.CommitAsync();
        return saved;

        void Insert(System.Data.Common.DbTransaction t)
        {
            if (_insert is null)
            {
                _insert = connection.CreateCommand();
                _insert.CommandText = "INSERT INTO witness_outbox (event_id, payload, event_count, created_at) VALUES ($p0, $p1, $p2, $p3)";
                for (var i = 0; i < 4; i++)
                {
                    var p = _insert.CreateParameter();
                    p.ParameterName = "$p" + i;
                    _insert.Parameters.Add(p);
                }
            }

            _insert.Transaction = t;
            _insert.Parameters[0].Value = Guid.NewGuid().ToString("N");
            _insert.Parameters[1].Value = "[{\"id\":\"0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4\",\"occurred_at\":\"2026-12-05T18:00:00.000000Z\",\"action\":\"ticket.update\",\"targets\":[{\"type\":\"ticket\",\"id\":\"1\",\"name\":\"Printer on fire\"}],\"changes\":{\"before\":{\"subject\":\"Printer still on fire\",\"priority\":1},\"after\":{\"subject\":\"Printer on fire\",\"priority\":2}}}]";
            _insert.Parameters[2].Value = 1;
            _insert.Parameters[3].Value = DateTimeOffset.UtcNow;
            _insert.ExecuteNonQuery();
        }
    }

    [Benchmark(Description = "with capture (outbox)")]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public Task<int> WithCapture() => ChangeAndSaveAsync(_capture, _captureTickets);

    private Task<int> ChangeAndSaveAsync(BenchDb db, List<Ticket> tickets)
    {
        var round = ++_round;
        for (var i = 0; i < Entities; i++)
        {
            tickets[i].Priority = round;
            tickets[i].Subject = round % 2 == 0 ? "Printer on fire" : "Printer still on fire";
        }

        return db.SaveChangesAsync();
    }

    private (ServiceProvider, BenchDb, List<Ticket>) Open(bool capture)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"witness-bench-ef-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        _folders.Add(folder);
        var connection = $"Data Source={Path.Combine(folder, "app.db")}";
        var services = new ServiceCollection();
        services.AddLogging();
        if (capture)
        {
            services.AddWitnessClient(o =>
            {
                o.Endpoint = new Uri("http://127.0.0.1:9");
                o.ApiKey = "wk_bench";
            });
            services.AddWitnessEntityFrameworkCore<BenchDb>(o => o.Map<Ticket>("ticket", t => t.Subject));
            services.AddDbContext<BenchDb>((sp, o) => o.UseSqlite(connection).AddWitnessInterceptor(sp));
        }
        else if (Environment.GetEnvironmentVariable("BENCH_NOOP_INTERCEPTOR") is { } kinds)
        {
            services.AddDbContext<BenchDb>(o => o.UseSqlite(connection).AddInterceptors(kinds.Split(',').Select(NoopInterceptors.Create)));
        }
        else
        {
            services.AddDbContext<BenchDb>(o => o.UseSqlite(connection));
        }

        var provider = services.BuildServiceProvider();
        var db = provider.CreateScope().ServiceProvider.GetRequiredService<BenchDb>();
        // One connection for the whole run, opened here, so that the pragmas hold for every save.
        db.Database.OpenConnection();
        db.Database.EnsureCreated();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
#pragma warning disable EF1002 // The value is one of the two [Params] above.
        db.Database.ExecuteSqlRaw($"PRAGMA synchronous={Synchronous};");
#pragma warning restore EF1002
        db.Tickets.AddRange(Enumerable.Range(0, 100).Select(i => new Ticket { Subject = $"Ticket {i}", Requester = $"user{i}@example.com", Priority = 0 }));
        db.SaveChanges();
        return (provider, db, [.. db.Tickets.OrderBy(t => t.Id)]);
    }

    /// <summary>The journal mode and synchronous setting a database created by EF Core has on a fresh connection, without pragmas of ours.</summary>
    public static string DefaultConfiguration()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"witness-bench-ef-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var connection = $"Data Source={Path.Combine(folder, "app.db")}";
            using (var db = new BenchDb(new DbContextOptionsBuilder<BenchDb>().UseSqlite(connection).Options))
            {
                db.Database.EnsureCreated();
            }

            using var fresh = new SqliteConnection(connection);
            fresh.Open();
            using var command = fresh.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            var journal = command.ExecuteScalar();
            command.CommandText = "PRAGMA synchronous";
            var synchronous = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", _ => "EXTRA" };
            return $"journal_mode={journal}, synchronous={synchronous}";
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _capture.Dispose();
        _plainServices?.Dispose();
        _captureServices?.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public sealed class Ticket
{
    public int Id { get; set; }

    public string Subject { get; set; } = "";

    public string Requester { get; set; } = "";

    public int Priority { get; set; }
}

public sealed class BenchDb(DbContextOptions<BenchDb> options) : DbContext(options)
{
    public DbSet<Ticket> Tickets => Set<Ticket>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddWitnessOutbox();
}

internal static class NoopInterceptors
{
    public static Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor Create(string kind) => kind switch
    {
        "command" => new Command(),
        "transaction" => new Transaction(),
        _ => new Save(),
    };

    private sealed class Command : Microsoft.EntityFrameworkCore.Diagnostics.IDbCommandInterceptor;

    private sealed class Transaction : Microsoft.EntityFrameworkCore.Diagnostics.IDbTransactionInterceptor;

    private sealed class Save : Microsoft.EntityFrameworkCore.Diagnostics.ISaveChangesInterceptor;
}
