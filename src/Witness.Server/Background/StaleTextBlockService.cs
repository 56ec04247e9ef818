using Microsoft.Extensions.Logging;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Writes again the free-text blocks an erasure left stale (<see cref="IStaleTextBlocksStore"/>, docs/erasure.md): at
/// start and every <see cref="WitnessServerOptions.StaleTextBlockInterval"/>, a batch of blocks per transaction, so appends
/// keep flowing. Until then a stale block may still hold trigram keys of erased values (never the values).
/// </summary>
internal sealed class StaleTextBlockService(
    IWitnessStore store, IStaleTextBlocksStore blocks, WitnessServerOptions options, ILogger<StaleTextBlockService> logger)
    : TenantPassService(store, options, logger)
{
    protected override TimeSpan Interval => Options.StaleTextBlockInterval;

    protected override string PassName => "Writing again the free-text blocks of erased events";

    protected override async Task<long> RunTenantAsync(string tenant, CancellationToken ct) =>
        await blocks.RebuildStaleTextBlocksAsync(tenant, ct);

    protected override void PassCompleted(long total)
    {
        if (total > 0)
        {
            Logger.LogInformation("Wrote again {Blocks} free-text blocks of erased events", total);
        }
    }
}
