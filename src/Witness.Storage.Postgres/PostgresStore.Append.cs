using System.Data;
using Npgsql;
using Witness.Events;
using Witness.Ingest;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    // How many more groups look up their client ids before appending (see AppendAsync).
    private int _groupsLookingUpIds;

    public Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct) =>
        AppendGroupAsync([.. requests], takeLate: null, () => receivedAt, ct);

    public Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, TakeLateRequests takeLate, TimeProvider clock, CancellationToken ct) =>
        AppendGroupAsync([.. requests], takeLate, clock.GetUtcNow, ct);

    /// <summary>Appends a group, running it again when a client id turns out to be stored or PostgreSQL aborts it for a deadlock.</summary>
    /// <param name="requests">The group; requests taken in late are added to it, so a group that runs again keeps them.</param>
    /// <param name="takeLate">Where requests that arrived while the heads were awaited come from, if anywhere.</param>
    /// <param name="receivedAt">Read once the heads are held.</param>
    /// <param name="ct">Cancels the append; nothing of it is committed then.</param>
    private async Task<IReadOnlyList<AppendResult>> AppendGroupAsync(List<IReadOnlyList<SubmittedEvent>> requests, TakeLateRequests? takeLate, Func<DateTimeOffset> receivedAt, CancellationToken ct)
    {
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
                return await AppendOnceAsync(requests, takeLate, receivedAt, lookUpIds, ct);
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
    /// never wait on each other in a cycle), take in the requests for those tenants that arrived
    /// meanwhile, look up the client ids if asked, run the shared append rules request by request while
    /// the accepted rows stream into a binary COPY, write the rest, save the heads and commit.
    /// </summary>
    private async Task<IReadOnlyList<AppendResult>> AppendOnceAsync(
        List<IReadOnlyList<SubmittedEvent>> requests, TakeLateRequests? takeLate, Func<DateTimeOffset> receivedAt, bool lookUpIds, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await using var log = new PostgresLogTransaction(connection, tx, lookUpIds);
        log.AddRequests(requests);
        await log.LockExistingHeadsAsync(ct);
        if (takeLate is not null)
        {
            // Only requests whose tenants are all held already join: locking more heads now, out of name
            // order, could wait in a cycle with another instance.
            var late = takeLate(log.Holds);
            requests.AddRange(late);
            log.AddRequests(late);
        }

        // Stamped after the wait for the heads, so no event is received before its request arrived and,
        // heads being held in turn, received_at does not go backwards along a tenant's log (as far as the
        // instances' clocks agree).
        var received = receivedAt();
        await EnsurePartitionAsync(MonthOf(EventParser.Truncate(received)), ct);
        await log.LookUpClientIdsAsync(ct);
        return await LogAppender.AppendGroupAsync(log, requests, received, _options.TextBlockEvents, ct);
    }
}
