using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Ingest;
using Witness.Server.Auditing;
using Witness.Storage;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// Runs every active stream this instance can lease. Each poll it lists the streams that are not paused
/// and takes the lease of those no live instance holds (<see cref="IStreamStore.TryLeaseStreamAsync"/>),
/// so on PostgreSQL exactly one instance delivers a stream, and another takes it over once the holder's
/// lease ends. While delivering, the lease is renewed at a third of its length, and the definition read
/// again: a paused, deleted or changed stream stops here and (unless paused or deleted) starts again with
/// its new definition at the next poll.
/// </summary>
internal sealed class StreamDeliveryService : BackgroundService
{
    private readonly IStreamStore _store;
    private readonly StreamDestinations _destinations;
    private readonly SystemEvents _events;
    private readonly EventIngestor _ingestor;
    private readonly StreamOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<StreamDeliveryService> _logger;
    private readonly ConcurrentDictionary<string, (StreamWorker Worker, CancellationTokenSource Holding, Task Run)> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _poll = new(0, 1);

    public StreamDeliveryService(IStreamStore store, StreamDestinations destinations, SystemEvents events, EventIngestor ingestor, WitnessServerOptions options, ILogger<StreamDeliveryService> logger)
    {
        _store = store;
        _destinations = destinations;
        _events = events;
        _ingestor = ingestor;
        _options = options.Streams;
        _clock = options.Clock;
        _logger = logger;
        Owner = _options.InstanceId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>This instance's name in leases.</summary>
    public string Owner { get; }

    /// <summary>Looks for streams to deliver at once (a stream was created, resumed or changed).</summary>
    public void PollNow()
    {
        try
        {
            _poll.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private void OnCommitted(IReadOnlyDictionary<string, long> sizes)
    {
        foreach (var (worker, _, _) in _running.Values)
        {
            if (sizes.TryGetValue(worker.Tenant, out var size))
            {
                worker.Wake(size);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ingestor.Committed += OnCommitted;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    foreach (var stream in await _store.ListActiveStreamsAsync(stoppingToken))
                    {
                        if (_running.ContainsKey(stream.Id))
                        {
                            continue;
                        }

                        var now = _clock.GetUtcNow();
                        if (await _store.TryLeaseStreamAsync(stream.Id, Owner, now, now + _options.LeaseDuration, stoppingToken))
                        {
                            Start(stream, stoppingToken);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "Looking for log streams to deliver failed; trying again in {Interval}", _options.PollInterval);
                }

                try
                {
                    await _poll.WaitAsync(_options.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            _ingestor.Committed -= OnCommitted;
            await Task.WhenAll(_running.Values.Select(r => r.Run));
        }
    }

    private void Start(LogStream stream, CancellationToken stopping)
    {
        var worker = new StreamWorker(stream, Owner, _store, _destinations, _events, _options, _clock, _logger);
        var holding = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var run = RunAsync(stream, worker, holding);
        _running[stream.Id] = (worker, holding, run);
        _ = run.ContinueWith(_ => _running.TryRemove(stream.Id, out var _), TaskScheduler.Default);
    }

    private async Task RunAsync(LogStream stream, StreamWorker worker, CancellationTokenSource holding)
    {
        await Task.Yield();
        using var owned = holding;
        var keep = KeepLeaseAsync(stream, holding);
        try
        {
            _logger.LogInformation("Delivering log stream {Stream} of tenant {Tenant} from seq {Seq}", stream.Id, stream.Tenant, stream.Progress.DeliveredSeq + 1);
            await worker.RunAsync(holding.Token);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Log stream {Stream} stopped unexpectedly; it is taken again at the next poll", stream.Id);
        }
        finally
        {
            await holding.CancelAsync();
            var released = await keep;
            if (released)
            {
                try
                {
                    await _store.ReleaseStreamLeaseAsync(stream.Id, Owner, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    _logger.LogWarning(ex, "Releasing the lease of stream {Stream} failed; it ends by itself", stream.Id);
                }
            }
        }
    }

    /// <summary>Renews the lease and watches the definition; cancels the worker when either says stop. Answers whether the lease is still ours to release.</summary>
    private async Task<bool> KeepLeaseAsync(LogStream stream, CancellationTokenSource holding)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.LeaseDuration / 3, _clock, holding.Token);
                var now = _clock.GetUtcNow();
                if (!await _store.TryLeaseStreamAsync(stream.Id, Owner, now, now + _options.LeaseDuration, holding.Token))
                {
                    _logger.LogWarning("Lost the lease of stream {Stream}; another instance delivers it now", stream.Id);
                    await holding.CancelAsync();
                    return false;
                }

                var current = await _store.FindStreamAsync(stream.Tenant, stream.Id, holding.Token);
                if (current is null || current.Paused || current.UpdatedAt != stream.UpdatedAt)
                {
                    await holding.CancelAsync();
                    return current is not null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (Exception ex)
        {
            // The database is unreachable: stop delivering, since the lease cannot be kept.
            _logger.LogWarning(ex, "Renewing the lease of stream {Stream} failed; stopping its delivery here", stream.Id);
            await holding.CancelAsync();
            return true;
        }
    }

    /// <summary>Stops a stream's delivery here now (it was paused, changed or deleted through this instance).</summary>
    public async Task StopAsync(string streamId)
    {
        if (_running.TryGetValue(streamId, out var running))
        {
            await running.Holding.CancelAsync();
            await running.Run;
        }
    }

    public override void Dispose()
    {
        _poll.Dispose();
        base.Dispose();
    }
}
