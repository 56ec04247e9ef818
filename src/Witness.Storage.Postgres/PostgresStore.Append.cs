using System.Data;
using Npgsql;
using Witness.Events;
using Witness.Ingest;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    // How many more groups look up their client ids before appending (see AppendAsync).
    private int _groupsLookingUpIds;

    public async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct)
    {
        await EnsurePartitionAsync(MonthOf(EventParser.Truncate(receivedAt)), ct);

        // Client ids are almost always new, and the primary key of event_ids checks each one as its row
        // is written anyway, so a group does not look them up first (a probe per id, with the head
        // locked). When one turns out to be stored already, the group fails on that key, nothing of it
        // is kept, and it runs again with the lookup, which answers the repeat (the stored event) or the
        // conflict (another body). So that a client that often retries does not make groups run twice,
        // the next groups look their ids up too.
        var lookUpIds = Volatile.Read(ref _groupsLookingUpIds) > 0;
        if (lookUpIds)
        {
            Interlocked.Decrement(ref _groupsLookingUpIds);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnceAsync(requests, receivedAt, lookUpIds, ct);
            }
            catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "event_ids_pkey" } && !lookUpIds)
            {
                lookUpIds = true;
                Volatile.Write(ref _groupsLookingUpIds, _options.GroupsLookingUpIdsAfterRepeat);
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
    /// never wait on each other in a cycle) and look up its client ids if asked, run the shared append
    /// rules request by request while the accepted rows stream into a binary COPY, write the rest, save
    /// the heads and commit.
    /// </summary>
    private async Task<IReadOnlyList<AppendResult>> AppendOnceAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, bool lookUpIds, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await using var log = new PostgresLogTransaction(connection, tx, requests, lookUpIds);
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
