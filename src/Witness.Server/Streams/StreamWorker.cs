using System.Text.Json;
using Microsoft.Extensions.Logging;
using Witness.Events;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// Delivers one stream while this instance holds its lease: reads the tenant's events after the cursor in
/// seq order, a batch at a time, keeps those the filters let through, sends them, and moves the durable
/// cursor to what the destination confirmed. On any failure it drops the connection, goes back to the
/// cursor and tries again after a backoff with jitter, so nothing is skipped (a batch may arrive twice:
/// at least once). A destination failing longer than <see cref="StreamOptions.FailureThreshold"/> is
/// recorded once as an <c>integration_failure</c> event.
/// </summary>
internal sealed class StreamWorker(
    LogStream stream, string owner, IStreamStore store, StreamDestinations destinations, SystemEvents events, StreamOptions options, TimeProvider clock, ILogger logger)
{
    /// <summary>The action of the <c>integration_failure</c> event that records a stream failing past the threshold.</summary>
    internal const string FailureAction = "stream.delivery_failing";

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly StreamFilter _filter = StreamFilter.Of(stream);
    private readonly StreamLag _lag = new(stream.Tenant, stream.Id, stream.Kind, stream.Progress.DeliveredSeq, clock);

    public string Tenant => stream.Tenant;

    /// <summary>Called when the tenant's log grew to <paramref name="size"/> events, so delivery does not wait for the next poll.</summary>
    public void Wake(long size)
    {
        _lag.Grew(size);
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Runs until cancelled, or until the lease is found lost when saving progress.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var progress = stream.Progress;
        var next = progress.DeliveredSeq;
        var failures = 0;
        var savedAt = DateTimeOffset.MinValue;
        IStreamDestination? destination = null;
        Telemetry.StreamMetrics.Started(_lag);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    destination ??= await destinations.OpenAsync(stream, progress.DeliveredSeq, ct);
                    var read = await store.ReadEventsAfterAsync(stream.Tenant, next, options.BatchSize, ct);
                    long confirmed;
                    if (read.Count == 0)
                    {
                        confirmed = await destination.ConfirmAsync(ct);
                    }
                    else
                    {
                        var batch = new StreamBatch([.. read.Select(e => new StreamRecord(e.Seq, e.Body, e.Hash, e.Event)).Where(_filter.Matches)], read[^1].Seq);
                        confirmed = await destination.SendAsync(batch, ct);
                        next = batch.ThroughSeq;
                        Telemetry.StreamMetrics.Sent(stream.Kind, batch.Records.Count);
                    }

                    _lag.Read(read);
                    // A cursor only moves forward.
                    confirmed = Math.Max(confirmed, progress.DeliveredSeq);
                    Telemetry.StreamMetrics.Moved(_lag, _lag.Confirmed(confirmed));
                    failures = 0;
                    var now = clock.GetUtcNow();
                    // While a backlog drains, the cursor is saved at most twice a second: a restart sends those events again.
                    var due = read.Count < options.BatchSize || now - savedAt >= TimeSpan.FromMilliseconds(500);
                    if ((confirmed != progress.DeliveredSeq && due) || progress.FailingSince is not null)
                    {
                        progress = progress with
                        {
                            DeliveredSeq = confirmed,
                            DeliveredAt = confirmed != progress.DeliveredSeq ? now : progress.DeliveredAt,
                            FailingSince = null,
                            FailureRecorded = false,
                        };
                        savedAt = now;
                        if (!await store.SaveStreamProgressAsync(stream.Id, owner, progress, ct))
                        {
                            logger.LogWarning("Stream {Stream} of tenant {Tenant}: the lease was taken by another instance; stopping here", stream.Id, stream.Tenant);
                            return;
                        }
                    }

                    if (read.Count < options.BatchSize)
                    {
                        // Caught up: wait for new events, or (syslog) until what was sent can be confirmed.
                        var wait = next > progress.DeliveredSeq ? TimeSpan.FromMilliseconds(200) : options.PollInterval;
                        await _wake.WaitAsync(wait, ct);
                    }
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    failures++;
                    if (destination is not null)
                    {
                        await DisposeQuietlyAsync(destination);
                        destination = null;
                    }

                    next = progress.DeliveredSeq;
                    var now = clock.GetUtcNow();
                    var error = Describe(ex);
                    progress = progress with { LastError = error, LastErrorAt = now, FailingSince = progress.FailingSince ?? now };
                    logger.LogWarning("Stream {Stream} of tenant {Tenant} failed ({Error}); sending again from seq {Seq} after a pause",
                        stream.Id, stream.Tenant, error, progress.DeliveredSeq + 1);
                    Telemetry.StreamMetrics.Failed(_lag);
                    if (!progress.FailureRecorded && now - progress.FailingSince >= options.FailureThreshold)
                    {
                        await RecordFailureAsync(progress);
                        progress = progress with { FailureRecorded = true };
                    }

                    try
                    {
                        if (!await store.SaveStreamProgressAsync(stream.Id, owner, progress, ct))
                        {
                            return;
                        }
                    }
                    catch (Exception saving) when (saving is not OperationCanceledException)
                    {
                        logger.LogError(saving, "Saving the state of stream {Stream} failed", stream.Id);
                    }

                    await Task.Delay(Backoff(failures), clock, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            Telemetry.StreamMetrics.Stopped(_lag);
            if (destination is not null)
            {
                await DisposeQuietlyAsync(destination);
            }
        }
    }

    /// <summary>Exponential from <see cref="StreamOptions.RetryDelay"/>, capped, with "full jitter" between half and all of it, so instances do not retry in step.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(options.MaxRetryDelay.TotalMilliseconds, options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private static string Describe(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookAddressRefusedException refused)
            {
                return refused.Message;
            }
        }

        var message = ex is TaskCanceledException or TimeoutException ? "no answer in time" : ex.Message;
        if (ex.InnerException is { } cause && cause.Message != message)
        {
            message += ": " + cause.Message;
        }

        return message.Length > 500 ? message[..500] : message;
    }

    private async Task DisposeQuietlyAsync(IStreamDestination destination)
    {
        try
        {
            await destination.DisposeAsync();
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Closing the destination of stream {Stream} failed", stream.Id);
        }
    }

    private async Task RecordFailureAsync(StreamProgress progress)
    {
        var metadata = new Dictionary<string, object?>
        {
            ["stream_id"] = stream.Id,
            ["stream_name"] = stream.Name,
            ["kind"] = stream.Kind,
            ["url"] = stream.Url,
            ["failing_since"] = progress.FailingSince,
            ["delivered_seq"] = progress.DeliveredSeq,
            ["last_error"] = progress.LastError,
        };
        var e = new AuditEvent
        {
            Id = $"stfail_{stream.Id}_{progress.FailingSince!.Value.ToUnixTimeMilliseconds()}",
            Tenant = stream.Tenant,
            OccurredAt = default,
            Type = LogTypes.IntegrationFailure,
            Action = FailureAction,
            Category = "Log streams",
            Actor = SystemEvents.Witness,
            Targets = [new EventTarget { Type = "log_stream", Id = stream.Id, Name = stream.Name }],
            Outcome = Outcomes.Failure,
            Reason = progress.LastError,
            Metadata = JsonSerializer.SerializeToElement(metadata),
            Description = $"Log stream {stream.Name} has failed to deliver since {progress.FailingSince:yyyy-MM-dd HH:mm:ss} UTC",
        };
        try
        {
            await events.RecordAsync(e, idempotent: true, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Recording the failure of stream {Stream} failed", stream.Id);
        }
    }
}

/// <summary>A stream's filters: log types, categories and a search query, each optional (all must hold).</summary>
internal sealed class StreamFilter
{
    private readonly HashSet<string> _types;
    private readonly HashSet<string> _categories;
    private readonly EventFilter? _query;

    private StreamFilter(LogStream stream)
    {
        _types = [.. stream.Types];
        _categories = new HashSet<string>(stream.Categories, StringComparer.OrdinalIgnoreCase);
        _query = string.IsNullOrWhiteSpace(stream.Query) ? null : SearchQueryParser.Parse(stream.Query, TimeZoneInfo.Utc);
    }

    public static StreamFilter Of(LogStream stream) => new(stream);

    public bool Matches(StreamRecord record) =>
        (_types.Count == 0 || _types.Contains(record.Event.Type))
        && (_categories.Count == 0 || (record.Event.Category is { } category && _categories.Contains(category)))
        && (_query is null || EventFilterMatcher.Matches(_query, record.Event, EventIndexKeys.From(record.Event)));
}
