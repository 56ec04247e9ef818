using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Integrity;

namespace Witness.Server.Witnessing;

/// <summary>
/// Appends every tenant checkpoint this instance signs to the heads log, off the signing path: the issuer only
/// queues it. A checkpoint missed here (a crash in between, another process's) is appended when a proof of it is
/// asked for (<see cref="HeadsLog.ProveAsync"/>), so every checkpoint a tenant is shown is in the heads log.
/// </summary>
internal sealed class HeadsLogService : BackgroundService
{
    private readonly HeadsLog _heads;
    private readonly ILogger<HeadsLogService> _logger;
    private readonly Channel<Checkpoint> _queue = Channel.CreateUnbounded<Checkpoint>(new UnboundedChannelOptions { SingleReader = true });

    public HeadsLogService(CheckpointIssuer issuer, HeadsLog heads, ILogger<HeadsLogService> logger)
    {
        _heads = heads;
        _logger = logger;
        issuer.Signed += (tenant, stored) => _queue.Writer.TryWrite(new Checkpoint(issuer.OriginOf(tenant), stored.Size, stored.RootHash));
    }

    /// <summary>Raised after the heads log grew, with its new size: a new heads checkpoint is there to be witnessed.</summary>
    public event Action<long>? Appended;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await AppendQueuedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await AppendQueuedAsync(cancellationToken);
    }

    private async Task AppendQueuedAsync(CancellationToken ct)
    {
        while (_queue.Reader.TryRead(out var checkpoint))
        {
            try
            {
                var index = await _heads.AppendAsync(checkpoint, ct);
                Appended?.Invoke(index + 1);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "Appending the checkpoint of {Origin} at size {Size} to the heads log failed; it is appended when a proof of it is asked for", checkpoint.Origin, checkpoint.Size);
            }
        }
    }
}
