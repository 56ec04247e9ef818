using System.Data;
using Npgsql;
using Witness.Events;
using Witness.Ingest;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    public async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct)
    {
        await EnsurePartitionAsync(MonthOf(EventParser.Truncate(receivedAt)), ct);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnceAsync(requests, receivedAt, ct);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                               && attempt <= _options.DeadlockRetries)
            {
                // Two instances locked the heads of new tenants in opposite orders; PostgreSQL aborted
                // this group and nothing of it was stored, so it is simply run again.
            }
        }
    }

    /// <summary>
    /// One group commit: lock the heads of the group's existing tenants in name order (so instances
    /// never wait on each other in a cycle), run the shared append rules with a savepoint per request,
    /// write the accepted rows with binary COPY, save the heads and commit.
    /// </summary>
    private async Task<IReadOnlyList<AppendResult>> AppendOnceAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var log = new PostgresLogTransaction(connection, tx, requests);
        await log.LockExistingHeadsAsync(ct);
        var appender = new LogAppender(log);
        var results = new List<AppendResult>(requests.Count);
        foreach (var request in requests)
        {
            log.BeginRequest();
            var result = await appender.AppendAsync(request, receivedAt, ct);
            if (result.Conflict is null)
            {
                await log.AcceptRequestAsync(ct);
            }
            else
            {
                await log.RejectRequestAsync(ct);
            }

            results.Add(result);
        }

        await appender.SaveHeadsAsync(ct);
        await log.FlushAsync(ct);
        await tx.CommitAsync(ct);
        return results;
    }
}
