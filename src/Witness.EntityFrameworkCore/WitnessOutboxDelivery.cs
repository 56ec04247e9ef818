using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Witness.Client;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// Sends the outbox of <typeparamref name="TContext"/> to Witness, oldest first, and deletes each row once Witness has
/// stored its event. A crash between the two resends the row, which Witness recognises by the event id, so every
/// committed change is recorded exactly once. Runs until the host stops; while Witness is unreachable it retries with
/// a doubling delay.
/// </summary>
internal sealed partial class WitnessOutboxDelivery<TContext>(
    IServiceScopeFactory scopes,
    IOptions<WitnessEntityOptions> options,
    OutboxSignal signal,
    ILogger<WitnessOutboxDelivery<TContext>> logger) : BackgroundService
    where TContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var retryDelay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            bool more;
            try
            {
                more = await DeliverOnceAsync(settings.OutboxBatchSize, stoppingToken).ConfigureAwait(false);
                retryDelay = TimeSpan.FromMilliseconds(250);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or WitnessApiException or TimeoutException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
            {
                LogUnreachable(ex.Message);
                await Task.Delay(retryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, settings.MaxRetryDelay.Ticks));
                continue;
            }
            catch (Exception ex)
            {
                LogFailed(ex);
                await Task.Delay(settings.MaxRetryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            if (!more)
            {
                await ((Task)signal.WaitAsync(settings.OutboxPollInterval, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// Delivers the oldest rows, as many as fit in one request of at most <paramref name="batchSize"/> events (at least
    /// one row). True when more rows may be waiting.
    /// </summary>
    internal async Task<bool> DeliverOnceAsync(int batchSize, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using var scopeLifetime = scope.ConfigureAwait(false);
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var client = scope.ServiceProvider.GetRequiredService<WitnessClient>();
        var candidates = await context.Set<WitnessOutboxMessage>().AsNoTracking()
            .Where(m => m.Error == null)
            .OrderBy(m => m.Id)
            .Take(batchSize)
            // Rows written before rows held arrays have no count (0 once the column was added): one event each.
            .Select(m => new OutboxRow(m.Id, m.Payload, m.EventCount < 1 ? 1 : m.EventCount))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<OutboxRow>();
        var events = 0;
        foreach (var row in candidates)
        {
            if (rows.Count > 0 && events + row.EventCount > batchSize)
            {
                break;
            }

            rows.Add(row);
            events += row.EventCount;
        }

        if (rows.Count == 0)
        {
            return false;
        }

        try
        {
            await client.SendSerializedAsync(Batch(rows.Select(r => r.Payload)), cancellationToken).ConfigureAwait(false);
        }
        catch (WitnessApiException ex) when (ex.IsRejection)
        {
            // One bad event must not hold back the rest: each row alone, then a refused row's events one by one; the
            // refused events stay in their row with the error, and are not retried.
            foreach (var row in rows)
            {
                await DeliverAloneAsync(context, client, row, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        var ids = rows.Select(r => r.Id).ToList();
        await context.Set<WitnessOutboxMessage>().Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        return candidates.Count > rows.Count || candidates.Count == batchSize;
    }

    private async Task DeliverAloneAsync(TContext context, WitnessClient client, OutboxRow row, CancellationToken cancellationToken)
    {
        var refused = new List<string>();
        string? error = null;
        try
        {
            await client.SendSerializedAsync(Batch([row.Payload]), cancellationToken).ConfigureAwait(false);
        }
        catch (WitnessApiException whole) when (whole.IsRejection)
        {
            error = whole.Message;
            using var payload = JsonDocument.Parse(row.Payload);
            var events = payload.RootElement.ValueKind == JsonValueKind.Array
                ? payload.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList()
                : [payload.RootElement.GetRawText()];
            if (events.Count == 1)
            {
                refused.Add(events[0]);
            }
            else
            {
                foreach (var e in events)
                {
                    try
                    {
                        await client.SendSerializedAsync(Batch(["[" + e + "]"]), cancellationToken).ConfigureAwait(false);
                    }
                    catch (WitnessApiException single) when (single.IsRejection)
                    {
                        refused.Add(e);
                        error = single.Message;
                    }
                }
            }
        }

        var rows = context.Set<WitnessOutboxMessage>().Where(m => m.Id == row.Id);
        if (refused.Count == 0)
        {
            await rows.ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        LogRejected(row.Id, refused.Count, error);
        var kept = "[" + string.Join(",", refused) + "]";
        await rows.ExecuteUpdateAsync(
            s => s.SetProperty(m => m.Error, error).SetProperty(m => m.Payload, kept).SetProperty(m => m.EventCount, refused.Count),
            cancellationToken).ConfigureAwait(false);
    }

    // Each row holds a JSON array of events (a row written by a version before arrays holds one event object); a request is
    // one {"events":[…]} of every row's events.
    private static byte[] Batch(IEnumerable<string> payloads)
    {
        var body = new StringBuilder("{\"events\":[");
        var first = true;
        foreach (var payload in payloads)
        {
            var inner = payload.AsSpan().Trim();
            inner = inner.StartsWith('[') ? inner[1..^1].Trim() : inner;
            if (inner.IsEmpty)
            {
                continue;
            }

            body.Append(first ? "" : ",").Append(inner);
            first = false;
        }

        return Encoding.UTF8.GetBytes(body.Append("]}").ToString());
    }

    private sealed record OutboxRow(long Id, string Payload, int EventCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness could not take the outbox yet; retrying: {Reason}")]
    private partial void LogUnreachable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering the Witness outbox failed; retrying")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Witness refused {Count} events of outbox row {RowId}; they are kept with the error and not retried: {Error}")]
    private partial void LogRejected(long rowId, int count, string? error);
}
