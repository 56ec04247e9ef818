using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Witness.Client;

/// <summary>
/// The background sender behind <see cref="IAuditLog"/>: a bounded in-memory queue that one loop drains in batches
/// of up to <see cref="WitnessClientOptions.BatchSize"/>, with up to <see cref="WitnessClientOptions.MaxBatchesInFlight"/>
/// sends under way at once. While the spool holds batches, new batches join it so that the spool's older events go
/// first; the spool is retried with a doubling delay.
/// </summary>
internal sealed partial class AuditLogSender : IAuditLog, IHostedService, IDisposable
{
    private readonly Channel<AuditEvent> _queue;
    private readonly IServiceProvider _services;
    private readonly WitnessClientOptions _options;
    private readonly IAuditContextAccessor? _contextAccessor;
    private readonly TimeProvider _clock;
    private readonly ILogger<AuditLogSender> _logger;
    private readonly EventSpool? _spool;
    private readonly object _spillLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private long _dropped;
    private int _disposed;
    private int _closing;
    private static readonly TimeSpan FullBatchCheckInterval = TimeSpan.FromMilliseconds(50);

    public AuditLogSender(IServiceProvider services, IOptions<WitnessClientOptions> options, TimeProvider clock, ILogger<AuditLogSender> logger, IAuditContextAccessor? contextAccessor = null)
    {
        _services = services;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _contextAccessor = contextAccessor;
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _spool = string.IsNullOrWhiteSpace(_options.SpoolDirectory) ? null : new EventSpool(_options.SpoolDirectory);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public bool Record(AuditEvent auditEvent)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(auditEvent);
            WitnessClient.Stamp(auditEvent, _clock);
            auditEvent.Tenant ??= _options.Tenant;
            if (_contextAccessor is { } accessor)
            {
                auditEvent.Actor ??= accessor.Actor;
                auditEvent.Context ??= accessor.Context;
            }

            if (_queue.Writer.TryWrite(auditEvent))
            {
                return true;
            }

            if (_options.Mode == DeliveryMode.MustDeliver && _spool is not null)
            {
                // A full queue in must-deliver mode spills to disk: slower for this caller, but nothing is lost.
                lock (_spillLock)
                {
                    _spool.Write([auditEvent]);
                }

                return true;
            }
        }
        catch (Exception ex)
        {
            // Recording must never break the caller's request; the event is counted as dropped instead.
            LogRecordFailed(ex);
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking events, sends what is queued within the shutdown timeout, and spools (or, best effort without a spool, drops) the rest.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _closing, 1);
        _queue.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await _loop.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        SpoolRemaining();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        // Sends under way, oldest first. Several at once keep Witness busy while a response travels back; the bound keeps
        // memory and the load one application puts on Witness in check.
        var sending = new List<Task<bool>>(_options.MaxBatchesInFlight);
        Task<bool>? waitForEvents = null;
        Task? fullBatchCheck = null;
        var retryDelay = _options.RetryDelay;
        var nextRetry = DateTimeOffset.MinValue;
        while (true)
        {
            while (ShouldStartBatch(sending.Count))
            {
                var batch = new List<AuditEvent>(_options.BatchSize);
                while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var e))
                {
                    batch.Add(e);
                }

                if (_spool is not null && _spool.HasBatches)
                {
                    _spool.Write(batch);
                }
                else
                {
                    // Serialized off the loop, so that the loop starts the next batch meanwhile.
                    sending.Add(Task.Run(() => TrySendAsync(batch, stopping), CancellationToken.None));
                }
            }

            for (var i = 0; i < sending.Count; i++)
            {
                if (sending[i].IsCompleted)
                {
                    if (!await sending[i].ConfigureAwait(false))
                    {
                        nextRetry = _clock.GetUtcNow() + retryDelay;
                    }

                    sending.RemoveAt(i--);
                }
            }

            // The spool is retried only when nothing else is being sent: its batches go before newer ones.
            if (sending.Count == 0 && _spool is not null && _spool.HasBatches && _clock.GetUtcNow() >= nextRetry)
            {
                if (await TryDrainSpoolAsync(stopping).ConfigureAwait(false))
                {
                    retryDelay = _options.RetryDelay;
                }
                else
                {
                    nextRetry = _clock.GetUtcNow() + retryDelay;
                    retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, _options.MaxRetryDelay.Ticks));
                }
            }

            if (_queue.Reader.Completion.IsCompleted || stopping.IsCancellationRequested)
            {
                // Whatever is under way finishes (or, cancelled, spools itself) before the loop ends.
                await ((Task)Task.WhenAll(sending)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }

            if (ShouldStartBatch(sending.Count))
            {
                continue;
            }

            var wakeUps = new List<Task>(sending);
            if (sending.Count == 0)
            {
                // One wait for events at a time, kept across turns of the loop that a finished send caused.
                waitForEvents ??= _queue.Reader.WaitToReadAsync(stopping).AsTask();
                wakeUps.Add(waitForEvents);
            }
            else if (sending.Count < _options.MaxBatchesInFlight)
            {
                // Events wait for a full batch while others are on their way; a look now and then starts the batch once it
                // is full even if every send under way is slow.
                fullBatchCheck ??= Task.Delay(FullBatchCheckInterval, _clock, stopping);
                wakeUps.Add(fullBatchCheck);
            }

            if (sending.Count == 0 && _spool is not null && _spool.HasBatches)
            {
                var untilRetry = nextRetry - _clock.GetUtcNow();
                wakeUps.Add(Task.Delay(untilRetry > TimeSpan.Zero ? untilRetry : TimeSpan.Zero, _clock, stopping));
            }

            await Task.WhenAny(wakeUps).ConfigureAwait(false);
            if (waitForEvents is { IsCompleted: true })
            {
                waitForEvents = null;
            }

            if (fullBatchCheck is { IsCompleted: true })
            {
                fullBatchCheck = null;
            }
        }
    }

    /// <summary>
    /// A new batch starts when a send slot is free and either nothing is on its way (so a lone event goes at once), a full
    /// batch is waiting, or the queue is closing. Sending whatever is queued whenever a slot frees would split a steady
    /// stream into many small requests, each costing Witness a commit.
    /// </summary>
    private bool ShouldStartBatch(int inFlight) =>
        inFlight < _options.MaxBatchesInFlight
        && _queue.Reader.TryPeek(out _)
        && (inFlight == 0 || _queue.Reader.Count >= _options.BatchSize || Volatile.Read(ref _closing) != 0);

    /// <summary>What the loop did not get to before the shutdown timeout: to the spool, or counted as dropped without one.</summary>
    private void SpoolRemaining()
    {
        var rest = new List<AuditEvent>();
        while (_queue.Reader.TryRead(out var e))
        {
            rest.Add(e);
        }

        if (rest.Count == 0)
        {
            return;
        }

        if (_spool is not null)
        {
            foreach (var chunk in rest.Chunk(_options.BatchSize))
            {
                _spool.Write(chunk);
            }
        }
        else
        {
            Interlocked.Add(ref _dropped, rest.Count);
            LogDropped(rest.Count);
        }
    }

    /// <summary>Sends a batch; what cannot be sent goes to the spool, or is dropped when there is none. False when Witness could not be reached.</summary>
    private async Task<bool> TrySendAsync(List<AuditEvent> batch, CancellationToken stopping)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new EventBatch([.. batch]), ClientJson.Default.EventBatch);
        var outcome = await DeliverAsync(body, stopping).ConfigureAwait(false);
        if (outcome == Delivery.Failed)
        {
            if (_spool is not null)
            {
                _spool.WriteBody(body);
            }
            else
            {
                Interlocked.Add(ref _dropped, batch.Count);
                LogDropped(batch.Count);
            }
        }

        return outcome != Delivery.Failed;
    }

    /// <summary>
    /// Sends the spool's oldest batches, up to <see cref="WitnessClientOptions.MaxBatchesInFlight"/> at once, and removes
    /// them oldest first, each only once it and every older one were delivered: the spool always holds an unbroken tail
    /// of what was recorded. A newer batch delivered beside an undelivered older one stays and is sent again later,
    /// which its events' ids make harmless. False when Witness could not be reached.
    /// </summary>
    private async Task<bool> TryDrainSpoolAsync(CancellationToken stopping)
    {
        foreach (var window in _spool!.Oldest(100).Chunk(_options.MaxBatchesInFlight))
        {
            var outcomes = await Task.WhenAll(window.Select(file => DeliverAsync(EventSpool.Read(file), stopping))).ConfigureAwait(false);
            for (var i = 0; i < window.Length; i++)
            {
                if (outcomes[i] == Delivery.Failed)
                {
                    return false;
                }

                EventSpool.Delete(window[i]);
            }
        }

        return true;
    }

    private enum Delivery
    {
        Sent,
        Failed,
    }

    /// <summary>
    /// Sends one serialized batch. A batch Witness refuses as a whole is resent event by event so that one bad event does
    /// not hold back the others; the refused ones are kept in the spool's <c>rejected/</c> folder (or logged and dropped).
    /// </summary>
    private async Task<Delivery> DeliverAsync(byte[] body, CancellationToken stopping)
    {
        var client = _services.GetRequiredService<WitnessClient>();
        try
        {
            await client.SendSerializedAsync(body, stopping).ConfigureAwait(false);
            return Delivery.Sent;
        }
        catch (WitnessApiException ex) when (ex.IsRejection)
        {
            var events = JsonSerializer.Deserialize(body, ClientJson.Default.EventBatch)!.Events;
            if (events.Count == 1)
            {
                LogRejected(events[0].Id, ex);
                if (_spool is not null)
                {
                    _spool.RejectBody(body);
                }
                else
                {
                    Interlocked.Increment(ref _dropped);
                }

                return Delivery.Sent;
            }

            foreach (var e in events)
            {
                var single = JsonSerializer.SerializeToUtf8Bytes(new EventBatch([e]), ClientJson.Default.EventBatch);
                if (await DeliverAsync(single, stopping).ConfigureAwait(false) == Delivery.Failed)
                {
                    return Delivery.Failed;
                }
            }

            return Delivery.Sent;
        }
        catch (Exception ex)
        {
            // Unreachable, timed out, a broken circuit, a 5xx, or stopping: the batch stays (or goes) in the spool for later.
            LogUnreachable(ex.Message);
            return Delivery.Failed;
        }
    }

    // The container may hand this instance out under three services and dispose it for each: only the first counts.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _closing, 1);
        _queue.Writer.TryComplete();
        _stopping.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording an audit event failed; it was dropped")]
    private partial void LogRecordFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness is unreachable; {Count} audit events were dropped (best effort, no spool directory)")]
    private partial void LogDropped(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness could not take audit events yet, they stay spooled: {Reason}")]
    private partial void LogUnreachable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Witness refused audit event {EventId}")]
    private partial void LogRejected(string? eventId, Exception exception);
}
