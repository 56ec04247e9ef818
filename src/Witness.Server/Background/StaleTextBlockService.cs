using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Rebuilds the free-text blocks an erasure left stale (<see cref="IStaleTextBlocks"/>, docs/erasure.md) every
/// <see cref="Interval"/>, <see cref="Batch"/> blocks per transaction so appends keep flowing; a store without stale
/// blocks makes it do nothing. A failed round is logged and made again after the interval.
/// </summary>
internal sealed class StaleTextBlockService(IWitnessStore store, WitnessServerOptions options, ILogger<StaleTextBlockService> logger) : BackgroundService
{
    /// <summary>The time between two rounds.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Blocks rebuilt per transaction.</summary>
    public const int Batch = 256;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IStaleTextBlocks stale)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                long rebuilt = 0;
                for (int n; (n = await stale.RebuildStaleTextBlocksAsync(Batch, stoppingToken)) > 0;)
                {
                    rebuilt += n;
                }

                if (rebuilt > 0)
                {
                    logger.LogInformation("Rebuilt {Blocks} free-text blocks holding erased values", rebuilt);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Rebuilding stale free-text blocks failed; it runs again in {Interval}", Interval);
            }

            try
            {
                await Task.Delay(Interval, options.Clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
