using Microsoft.Extensions.Logging;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Rebuilds the free-text blocks an erasure left stale (<see cref="IStaleTextBlockStore"/>) every
/// <see cref="WitnessServerOptions.TextBlockRepairInterval"/>, a batch of <see cref="BatchBlocks"/> blocks per transaction,
/// so appends keep flowing between batches.
/// </summary>
internal sealed class TextBlockRepairService(
    IWitnessStore store, IStaleTextBlockStore blocks, WitnessServerOptions options, ILogger<TextBlockRepairService> logger)
    : TenantPassService(store, options, logger)
{
    /// <summary>The most blocks one rebuild transaction takes.</summary>
    public const int BatchBlocks = 256;

    protected override TimeSpan Interval => Options.TextBlockRepairInterval;

    protected override string PassName => "Rebuilding the free-text blocks an erasure left";

    /// <summary>Rebuilds every stale block of the tenant, a batch at a time; returns how many.</summary>
    protected override Task<long> RunTenantAsync(string tenant, CancellationToken ct) => RebuildAllAsync(blocks, tenant, ct);

    protected override void PassCompleted(long total)
    {
        if (total > 0)
        {
            Logger.LogInformation("Rebuilt {Blocks} free-text blocks that held erased values", total);
        }
    }

    /// <summary>Rebuilds every stale block of <paramref name="tenant"/>, <see cref="BatchBlocks"/> per transaction; returns how many.</summary>
    public static async Task<long> RebuildAllAsync(IStaleTextBlockStore blocks, string tenant, CancellationToken ct)
    {
        long total = 0;
        int rebuilt;
        while ((rebuilt = await blocks.RebuildStaleTextBlocksAsync(tenant, BatchBlocks, ct)) > 0)
        {
            total += rebuilt;
        }

        return total;
    }
}
