using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Ingest;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Signs a checkpoint of each tenant's log at least every <see cref="WitnessServerOptions.CheckpointInterval"/>
/// while events arrive, and at once when <see cref="WitnessServerOptions.CheckpointEvery"/> events
/// arrived since the last one; and once more on a clean shutdown, so that little is ever outside a signed
/// checkpoint. Every interval it also compares each tenant's stored log size with its latest checkpoint,
/// so events appended by anyone else (another instance, <c>witness import</c> into the same data folder)
/// are signed within an interval too.
/// </summary>
internal sealed class CheckpointService : BackgroundService
{
    private readonly CheckpointIssuer _issuer;
    private readonly WitnessServerOptions _options;
    private readonly ILogger<CheckpointService> _logger;
    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _signed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);

    private readonly IWitnessStore _store;

    public CheckpointService(EventIngestor ingestor, CheckpointIssuer issuer, IWitnessStore store, WitnessServerOptions options, ILogger<CheckpointService> logger)
    {
        _issuer = issuer;
        _store = store;
        _options = options;
        _logger = logger;
        ingestor.Committed += OnCommitted;
    }

    private void OnCommitted(IReadOnlyDictionary<string, long> sizes)
    {
        var urgent = false;
        foreach (var (tenant, size) in sizes)
        {
            _pending.AddOrUpdate(tenant, size, (_, old) => Math.Max(old, size));
            urgent |= size - _signed.GetValueOrDefault(tenant) >= _options.CheckpointEvery;
        }

        if (urgent && _wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The sweep keeps its own schedule, so a stream of urgent wake-ups cannot postpone it.
        var nextSweep = _options.Clock.GetUtcNow() + _options.CheckpointInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var wait = nextSweep - _options.Clock.GetUtcNow();
                var woken = _wake.WaitAsync(round.Token);
                var ticked = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _options.Clock, round.Token);
                await Task.WhenAny(woken, ticked);
                await round.CancelAsync();
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }

            await SignPendingAsync(stoppingToken);
            if (_options.Clock.GetUtcNow() >= nextSweep)
            {
                await SignEveryGrownLogAsync(stoppingToken);
                nextSweep = _options.Clock.GetUtcNow() + _options.CheckpointInterval;
            }
        }
    }

    /// <summary>
    /// After the loop stopped, signs every tenant whose log grew since its last checkpoint. The web server
    /// stops before the hosted services, and a request is answered only once its events are committed, so
    /// every acknowledged event is in one of these checkpoints.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await SignPendingAsync(cancellationToken);
    }

    /// <summary>Signs every tenant whose stored log is longer than its latest checkpoint, whoever appended.</summary>
    public async Task SignEveryGrownLogAsync(CancellationToken ct)
    {
        IReadOnlyList<string> tenants;
        try
        {
            tenants = await _store.ListTenantsAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Listing tenants to sign their checkpoints failed; retried at the next interval");
            return;
        }

        foreach (var tenant in tenants)
        {
            try
            {
                var checkpoint = await _issuer.IssueAsync(tenant, ct);
                if (checkpoint is not null)
                {
                    _signed[tenant] = checkpoint.Size;
                    Telemetry.ServerMetrics.CheckpointSigned(tenant, checkpoint.CreatedAt);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "Signing a checkpoint of tenant {Tenant} failed; it is retried at the next interval", tenant);
            }
        }
    }

    /// <summary>Signs every tenant whose log grew through this process since its last checkpoint.</summary>
    public async Task SignPendingAsync(CancellationToken ct)
    {
        foreach (var tenant in _pending.Keys)
        {
            if (!_pending.TryRemove(tenant, out _))
            {
                continue;
            }

            try
            {
                var checkpoint = await _issuer.IssueAsync(tenant, ct);
                if (checkpoint is not null)
                {
                    _signed[tenant] = checkpoint.Size;
                    Telemetry.ServerMetrics.CheckpointSigned(tenant, checkpoint.CreatedAt);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "Signing a checkpoint of tenant {Tenant} failed; it is retried at the next interval", tenant);
                _pending.TryAdd(tenant, 0);
            }
        }
    }
}
