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
    IWitnessStore store, IKeyDayCountsStore days, WitnessServerOptions options, ILogger<KeyDayCountService> logger)
    : TenantPassService(store, options, logger)
{
    protected override TimeSpan Interval => Options.KeyDayFillInterval;

    protected override string PassName => "Filling the top lists' day counts";

    /// <summary>Fills the tenant's closed days not yet filled; returns how many it filled.</summary>
    protected override async Task<long> RunTenantAsync(string tenant, CancellationToken ct) =>
        await days.FillClosedDaysAsync(tenant, Options.KeyDayFillDays, ct);

    protected override void PassCompleted(long total)
    {
        if (total > 0)
        {
            Logger.LogInformation("Filled the top lists' day counts of {Days} days", total);
        }
    }
}
