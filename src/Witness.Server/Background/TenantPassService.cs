using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// A background loop that makes one pass over every tenant at start and then one every <see cref="Interval"/> on the
/// server's clock. Passes never overlap (a pass asked for by <see cref="RunOnceAsync"/> waits for the loop's), and a pass
/// that fails is logged and made again after the interval.
/// </summary>
internal abstract class TenantPassService(IWitnessStore store, WitnessServerOptions options, ILogger logger) : BackgroundService
{
    private readonly SemaphoreSlim _running = new(1, 1);

    protected IWitnessStore Store => store;

    protected WitnessServerOptions Options => options;

    protected ILogger Logger => logger;

    /// <summary>The time between the end of one pass and the start of the next.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What a pass does, for the log: "Retention", "Filling the top lists' day counts".</summary>
    protected abstract string PassName { get; }

    /// <summary>The pass's work for one tenant; returns how much it did (events purged, days filled).</summary>
    protected abstract Task<long> RunTenantAsync(string tenant, CancellationToken ct);

    /// <summary>Called after a whole pass with the sum of what <see cref="RunTenantAsync"/> returned.</summary>
    protected virtual void PassCompleted(long total)
    {
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(Interval, options.Clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "{Pass} failed; it runs again in {Interval}", PassName, Interval);
                await Task.Delay(Interval, options.Clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every tenant; returns the sum of what each tenant's work did. Passes never overlap.</summary>
    public async Task<long> RunOnceAsync(CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        try
        {
            long total = 0;
            foreach (var tenant in await store.ListTenantsAsync(ct))
            {
                total += await RunTenantAsync(tenant, ct);
            }

            PassCompleted(total);
            return total;
        }
        finally
        {
            _running.Release();
        }
    }
}
