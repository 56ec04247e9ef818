using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Fills the top lists' day counts (<see cref="KeyDayCounts"/>) of every tenant behind the counts that read them, so that
/// no request of <c>GET /v1/events/stats</c> or of the console fills them (the server's store scans a day not yet filled,
/// <see cref="Storage.Sqlite.SqliteStoreOptions.FillKeyDaysOnCount"/>): at start the closed days of the last
/// <see cref="WitnessServerOptions.KeyDayFillDays"/> days (the backlog), then every <see cref="WitnessServerOptions.KeyDayFillInterval"/>
/// the days closed since and those a late event, a purge or an erasure made unreadable. Each day is filled in its own short
/// transaction (<see cref="IKeyDayCountsStore.FillClosedDaysAsync"/>), so appends wait at most for one day's scan on SQLite
/// and never on PostgreSQL.
/// </summary>
internal sealed class KeyDayCountService(
    IWitnessStore store, IKeyDayCountsStore days, WitnessServerOptions options, ILogger<KeyDayCountService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _running = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.KeyDayFillInterval, options.Clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Filling the top lists' day counts failed; it runs again in {Interval}", options.KeyDayFillInterval);
                await Task.Delay(options.KeyDayFillInterval, options.Clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every tenant; returns how many days it filled. Passes never overlap.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        try
        {
            var filled = 0;
            foreach (var tenant in await store.ListTenantsAsync(ct))
            {
                filled += await days.FillClosedDaysAsync(tenant, options.KeyDayFillDays, ct);
            }

            if (filled > 0)
            {
                logger.LogInformation("Filled the top lists' day counts of {Days} days", filled);
            }

            return filled;
        }
        finally
        {
            _running.Release();
        }
    }
}
