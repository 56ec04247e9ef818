using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Witness.EntityFrameworkCore;

namespace Witness.Client.Tests;

/// <summary>
/// What the interceptor writes into the outbox, read back from real SQLite files. Nothing is delivered (no host runs), so
/// no Witness is needed: the rows are the events exactly as they will be sent.
/// </summary>
public sealed class EntityFrameworkCoreOutboxTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"witness-outbox-{Guid.NewGuid():N}");

    public EntityFrameworkCoreOutboxTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Two_contexts_whose_models_map_one_class_differently_each_record_the_properties_of_their_own_model()
    {
        using var services = Services();
        using var scope = services.CreateScope();
        var narrow = Open<NarrowDb>(scope);
        var wide = Open<WideDb>(scope);

        // Alternating, so that each save finds the other model's shape already made.
        for (var round = 0; round < 2; round++)
        {
            foreach (DbContext db in new DbContext[] { narrow, wide })
            {
                var gadget = new Gadget { Name = $"{db.GetType().Name} {round}", Notes = "first", Price = 1m };
                db.Add(gadget);
                await db.SaveChangesAsync();
                gadget.Notes = "second";
                gadget.Price = 2m;
                await db.SaveChangesAsync();
            }
        }

        foreach (var (db, hasNotes) in new (DbContext, bool)[] { (narrow, false), (wide, true) })
        {
            var events = Events(db);
            Assert.Equal(["gadget.create", "gadget.update", "gadget.create", "gadget.update"], events.Select(e => e.GetProperty("action").GetString()));
            foreach (var created in events.Where(e => e.GetProperty("action").GetString() == "gadget.create"))
            {
                Assert.Equal(hasNotes, created.GetProperty("changes").GetProperty("after").TryGetProperty("notes", out _));
            }

            foreach (var updated in events.Where(e => e.GetProperty("action").GetString() == "gadget.update"))
            {
                var before = updated.GetProperty("changes").GetProperty("before");
                Assert.Equal(hasNotes ? new[] { "notes", "price" } : ["price"], before.EnumerateObject().Select(p => p.Name).Order());
                Assert.Equal("1", before.GetProperty("price").GetRawText());
            }
        }
    }

    [Fact]
    public async Task Values_of_every_kind_keys_of_two_parts_and_sensitive_values_are_written_as_the_events_say()
    {
        using var services = Services();
        using var scope = services.CreateScope();
        var db = Open<WideDb>(scope);
        var madeAt = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.FromHours(2)).AddTicks(4567);
        var checkedAt = new DateTime(2026, 12, 5, 23, 0, 0, DateTimeKind.Utc);
        var batch = Guid.NewGuid();
        var gadget = new Gadget
        {
            Name = "Zoë \"東京\" <b>", Notes = null, Serial = 9_007_199_254_740_993, Active = true, Price = 12.50m, Weight = 1.5,
            MadeAt = madeAt, CheckedAt = checkedAt, Batch = batch, Kind = GadgetKind.Blue, Rating = null, Secret = "s3cret",
        };
        var shelf = new Shelf { Aisle = "A", Slot = 3, Label = "top" };
        db.AddRange(gadget, shelf);
        await db.SaveChangesAsync();
        gadget.Rating = 4;
        gadget.Price = 13m;
        gadget.Secret = "s3cret-rotated";
        shelf.Label = "bottom";
        await db.SaveChangesAsync();
        db.Remove(gadget);
        await db.SaveChangesAsync();

        var events = Events(db);
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("s3cret", StringComparison.Ordinal));
        var created = events.Single(e => e.GetProperty("action").GetString() == "gadget.create");
        var after = created.GetProperty("changes").GetProperty("after");
        Assert.Equal(gadget.Id.ToString(CultureInfo.InvariantCulture), created.GetProperty("targets")[0].GetProperty("id").GetString());
        Assert.Equal("Zoë \"東京\" <b>", created.GetProperty("targets")[0].GetProperty("name").GetString());
        Assert.Equal("Zoë \"東京\" <b>", after.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("notes").ValueKind);
        Assert.Equal("9007199254740993", after.GetProperty("serial").GetRawText());
        Assert.True(after.GetProperty("active").GetBoolean());
        Assert.Equal("12.50", after.GetProperty("price").GetRawText());
        Assert.Equal("1.5", after.GetProperty("weight").GetRawText());
        Assert.Equal(madeAt.ToString("O", CultureInfo.InvariantCulture), after.GetProperty("made_at").GetString());
        Assert.Equal(checkedAt.ToString("O", CultureInfo.InvariantCulture), after.GetProperty("checked_at").GetString());
        Assert.Equal(batch.ToString(), after.GetProperty("batch").GetString());
        Assert.Equal("Blue", after.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("rating").ValueKind);
        Assert.Equal("[redacted]", after.GetProperty("secret").GetString());

        var updated = events.Single(e => e.GetProperty("action").GetString() == "gadget.update").GetProperty("changes");
        Assert.Equal(["price", "rating", "secret"], updated.GetProperty("before").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("before").GetProperty("rating").ValueKind);
        Assert.Equal("4", updated.GetProperty("after").GetProperty("rating").GetRawText());
        Assert.Equal("13", updated.GetProperty("after").GetProperty("price").GetRawText());
        Assert.Equal("[redacted]", updated.GetProperty("after").GetProperty("secret").GetString());

        var shelfUpdate = events.Single(e => e.GetProperty("action").GetString() == "shelf.update");
        Assert.Equal("A,3", shelfUpdate.GetProperty("targets")[0].GetProperty("id").GetString());
        Assert.Equal("top", shelfUpdate.GetProperty("changes").GetProperty("before").GetProperty("label").GetString());

        var deleted = events.Single(e => e.GetProperty("action").GetString() == "gadget.delete").GetProperty("changes");
        Assert.False(deleted.TryGetProperty("after", out _));
        Assert.Equal("4", deleted.GetProperty("before").GetProperty("rating").GetRawText());
        Assert.Equal("[redacted]", deleted.GetProperty("before").GetProperty("secret").GetString());
        Assert.Equal(after.EnumerateObject().Select(p => p.Name), deleted.GetProperty("before").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("UTF-8")]
    [InlineData("UTF-16le")]
    public async Task A_large_save_is_stored_as_the_same_text_whatever_the_databases_encoding(string encoding)
    {
        using var services = Services();
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<WideDb>();
        db.Database.OpenConnection();
#pragma warning disable EF1002 // One of the two encodings above.
        db.Database.ExecuteSqlRaw($"PRAGMA encoding = '{encoding}'");
#pragma warning restore EF1002
        db.Database.EnsureCreated();
        // Two hundred creates and a large update: rows far above the size from which SQLite is given the payload as bytes.
        var gadgets = Enumerable.Range(0, 200).Select(i => new Gadget { Name = $"Zoë 東京 {i}", Notes = new string('é', 100) }).ToList();
        db.AddRange(gadgets);
        await db.SaveChangesAsync();
        foreach (var g in gadgets)
        {
            g.Notes = $"ß {g.Id} 🙂";
        }

        await db.SaveChangesAsync();

        using (var read = db.Database.GetDbConnection().CreateCommand())
        {
            read.CommandText = "SELECT typeof(payload) FROM witness_outbox";
            Assert.Equal("text", read.ExecuteScalar());
        }

        var events = Events(db);
        Assert.Equal(400, events.Count);
        Assert.Equal(gadgets.Select(g => g.Name), events.Take(200).Select(e => e.GetProperty("changes").GetProperty("after").GetProperty("name").GetString()));
        Assert.Equal(gadgets.Select(g => $"ß {g.Id} 🙂"), events.Skip(200).Select(e => e.GetProperty("changes").GetProperty("after").GetProperty("notes").GetString()));
        Assert.All(events.Skip(200), e => Assert.Equal(new string('é', 100), e.GetProperty("changes").GetProperty("before").GetProperty("notes").GetString()));
    }

    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWitnessClient(o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9");
            o.ApiKey = "wk_test";
        });
        services.AddWitnessEntityFrameworkCore<NarrowDb>(o => o.Map<Gadget>("gadget", g => g.Name).Map<Shelf>("shelf", s => s.Label));
        services.AddDbContext<NarrowDb>((sp, o) => o.UseSqlite($"Data Source={Path.Combine(_folder, "narrow.db")}").AddWitnessInterceptor(sp));
        services.AddDbContext<WideDb>((sp, o) => o.UseSqlite($"Data Source={Path.Combine(_folder, "wide.db")}").AddWitnessInterceptor(sp));
        return services.BuildServiceProvider();
    }

    private static T Open<T>(IServiceScope scope)
        where T : DbContext
    {
        var db = scope.ServiceProvider.GetRequiredService<T>();
        db.Database.EnsureCreated();
        return db;
    }

    /// <summary>Every event in the context's outbox, in the order written.</summary>
    private static List<JsonElement> Events(DbContext db) =>
        [.. db.Set<WitnessOutboxMessage>().AsNoTracking().OrderBy(m => m.Id).AsEnumerable()
            .SelectMany(m => JsonDocument.Parse(m.Payload).RootElement.EnumerateArray().Select(e => e.Clone()))];

    public enum GadgetKind
    {
        Red,
        Blue,
    }

    public sealed class Gadget
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public string? Notes { get; set; }

        public long Serial { get; set; }

        public bool Active { get; set; }

        public decimal Price { get; set; }

        public double Weight { get; set; }

        public DateTimeOffset MadeAt { get; set; }

        public DateTime CheckedAt { get; set; }

        public Guid Batch { get; set; }

        public GadgetKind Kind { get; set; }

        public int? Rating { get; set; }

        [AuditSensitive]
        public string? Secret { get; set; }
    }

    public sealed class Shelf
    {
        public string Aisle { get; set; } = "";

        public int Slot { get; set; }

        public string Label { get; set; } = "";
    }

    /// <summary>Gadgets without their notes.</summary>
    public sealed class NarrowDb(DbContextOptions<NarrowDb> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Gadget>().Ignore(g => g.Notes);
            modelBuilder.AddWitnessOutbox();
        }
    }

    /// <summary>Gadgets with their notes, and shelves keyed by aisle and slot.</summary>
    public sealed class WideDb(DbContextOptions<WideDb> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Gadget>();
            modelBuilder.Entity<Shelf>().HasKey(s => new { s.Aisle, s.Slot });
            modelBuilder.AddWitnessOutbox();
        }
    }
}
