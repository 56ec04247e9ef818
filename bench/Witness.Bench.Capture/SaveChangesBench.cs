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

    [Benchmark(Baseline = true, Description = "plain EF Core")]
    public Task<int> Plain() => ChangeAndSaveAsync(_plain, _plainTickets);

    [Benchmark(Description = "with capture (outbox)")]
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
