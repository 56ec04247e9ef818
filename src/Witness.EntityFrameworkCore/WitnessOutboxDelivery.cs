using System.Text;
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
            int delivered;
            try
            {
                delivered = await DeliverOnceAsync(settings.OutboxBatchSize, stoppingToken).ConfigureAwait(false);
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

            if (delivered < settings.OutboxBatchSize)
            {
                await ((Task)signal.WaitAsync(settings.OutboxPollInterval, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Delivers up to one batch; how many rows it took.</summary>
    internal async Task<int> DeliverOnceAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var client = scope.ServiceProvider.GetRequiredService<WitnessClient>();
        var rows = await context.Set<WitnessOutboxMessage>().AsNoTracking()
            .Where(m => m.Error == null)
            .OrderBy(m => m.Id)
            .Take(batchSize)
            .Select(m => new { m.Id, m.Payload })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return 0;
        }

        try
        {
            await client.SendSerializedAsync(Batch(rows.Select(r => r.Payload)), cancellationToken).ConfigureAwait(false);
        }
        catch (WitnessApiException ex) when (ex.IsRejection)
        {
            // One bad event must not hold back the rest: send them one by one and set the refused ones aside.
            foreach (var row in rows)
            {
                try
                {
                    await client.SendSerializedAsync(Batch([row.Payload]), cancellationToken).ConfigureAwait(false);
                }
                catch (WitnessApiException single) when (single.IsRejection)
                {
                    LogRejected(row.Id, single);
                    await context.Set<WitnessOutboxMessage>().Where(m => m.Id == row.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(m => m.Error, single.Message), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await context.Set<WitnessOutboxMessage>().Where(m => m.Id == row.Id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            }

            return rows.Count;
        }

        var ids = rows.Select(r => r.Id).ToList();
        await context.Set<WitnessOutboxMessage>().Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private static byte[] Batch(IEnumerable<string> payloads)
    {
        var body = new StringBuilder("{\"events\":[");
        var first = true;
        foreach (var payload in payloads)
        {
            body.Append(first ? "" : ",").Append(payload);
            first = false;
        }

        return Encoding.UTF8.GetBytes(body.Append("]}").ToString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness could not take the outbox yet; retrying: {Reason}")]
    private partial void LogUnreachable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering the Witness outbox failed; retrying")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Witness refused outbox row {RowId}; it is kept with the error and not retried")]
    private partial void LogRejected(long rowId, Exception exception);
}
