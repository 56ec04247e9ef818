using System.Text.Json;
using HelpDesk;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.EntityFrameworkCore;

namespace Witness.Client.Tests.Support;

/// <summary>
/// The sample's DbContext in a host of the test's own, on a fresh SQLite file, capturing into the outbox. Disposing it
/// disposes the host and deletes the file with its <c>-wal</c> and <c>-shm</c>.
/// </summary>
public sealed class HelpDeskHost : IHost
{
    private readonly IHost _host;
    private readonly string _databasePath;
    private readonly string _connectionString;

    private HelpDeskHost(IHost host, string databasePath, string connectionString)
    {
        _host = host;
        _databasePath = databasePath;
        _connectionString = connectionString;
    }

    public IServiceProvider Services => _host.Services;

    public Task StartAsync(CancellationToken cancellationToken = default) => _host.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _host.StopAsync(cancellationToken);

    public void Dispose()
    {
        _host.Dispose();
        // Pooled connections keep the file open (and would write its -wal and -shm again when they close).
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(_databasePath + suffix);
        }
    }

    public static HelpDeskHost Build(WitnessServer witness)
    {
        var databasePath = Path.Combine(Path.GetTempPath(), $"helpdesk-{Guid.NewGuid():N}.db");
        var connectionString = $"Data Source={databasePath};Default Timeout=60";
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWitnessClient(
            o =>
            {
                o.Endpoint = witness.Address;
                o.ApiKey = witness.ApiKey;
            },
            r => r.Retry.Delay = TimeSpan.FromMilliseconds(100));
        builder.Services.AddWitnessEntityFrameworkCore<HelpDeskDb>(o =>
        {
            o.OutboxPollInterval = TimeSpan.FromMilliseconds(100);
            o.Map<Inbox>("inbox", i => i.Name);
            o.Map<Team>("team", t => t.Name);
            o.Map<AutomationRule>("automation_rule", r => r.Name);
            o.Map<InboxWebhook>("inbox_webhook", w => w.Url);
        });
        builder.Services.AddDbContext<HelpDeskDb>((sp, o) => o
            .UseSqlite(connectionString)
            .AddWitnessInterceptor(sp));
        var host = new HelpDeskHost(builder.Build(), databasePath, connectionString);
        try
        {
            using var scope = host.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<HelpDeskDb>();
            db.Database.EnsureCreated();
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The events waiting in the outbox, in order: each row holds the events of one SaveChanges as a JSON array.</summary>
    public static async Task<List<OutboxEvent>> OutboxAsync(IHost host) =>
        [.. (await OutboxRowsAsync(host)).SelectMany(row =>
        {
            using var payload = JsonDocument.Parse(row.Payload);
            Assert.Equal(row.EventCount, payload.RootElement.GetArrayLength());
            return payload.RootElement.EnumerateArray().Select(e => new OutboxEvent(row.Id, e.GetProperty("id").GetString()!, e.GetRawText())).ToList();
        })];

    public static async Task<List<WitnessOutboxMessage>> OutboxRowsAsync(IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HelpDeskDb>().Set<WitnessOutboxMessage>().AsNoTracking().OrderBy(m => m.Id).ToListAsync();
    }

    public static async Task<T> WithContextAsync<T>(IHost host, Func<HelpDeskDb, Task<T>> work)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<HelpDeskDb>());
    }
}

/// <summary>One event in the outbox: its row, its id and its JSON.</summary>
public sealed record OutboxEvent(long Row, string EventId, string Payload);
