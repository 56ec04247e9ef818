namespace Witness.Storage;

/// <summary>
/// The primitives a store offers inside one append transaction. <see cref="Witness.Ingest.LogAppender"/>
/// builds every append from these, so the rules (seq, idempotency, Merkle frontier) are written once
/// and each store only says how to read and write its rows. The group-commit loop
/// (<see cref="Witness.Ingest.LogAppender.AppendGroupAsync"/>) is written once too: it calls
/// <see cref="BeginRequestAsync"/> before each request, <see cref="AcceptRequestAsync"/> or
/// <see cref="RejectRequestAsync"/> after it, and <see cref="CommitAsync"/> once after the last.
/// </summary>
public interface ILogTransaction
{
    /// <summary>The tenant's head, creating the tenant when it is new. Stores shared by several instances lock the head row here until the transaction ends.</summary>
    ValueTask<LogHead> GetHeadAsync(string tenant, CancellationToken ct);

    /// <summary>The event stored under a client id, including rows written earlier in this transaction.</summary>
    ValueTask<ExistingEvent?> FindByIdAsync(long tenantId, string id, CancellationToken ct);

    /// <summary>
    /// The events stored under any of these client ids, by id (rows of this transaction included).
    /// Stores override it with one query; the default asks for each id in turn.
    /// </summary>
    async ValueTask<IReadOnlyDictionary<string, ExistingEvent>> FindByIdsAsync(long tenantId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        var found = new Dictionary<string, ExistingEvent>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (await FindByIdAsync(tenantId, id, ct) is { } existing)
            {
                found[id] = existing;
            }
        }

        return found;
    }

    ValueTask InsertAsync(LogHead head, LogEntry entry, CancellationToken ct);

    /// <summary>Keeps the hash of a completed perfect subtree (only those at or above <see cref="Witness.Integrity.MerkleNodes.StoredLevel"/> are passed).</summary>
    ValueTask InsertNodeAsync(long tenantId, int level, long index, byte[] hash, CancellationToken ct);

    ValueTask SaveHeadAsync(LogHead head, CancellationToken ct);

    /// <summary>Keeps a free-text block (<see cref="Witness.Search.TextBlock"/>) of events inserted in this transaction.</summary>
    ValueTask InsertTextBlockAsync(long tenantId, Witness.Search.TextBlock block, CancellationToken ct);

    /// <summary>A request of the group starts: what it writes until <see cref="RejectRequestAsync"/> must be undoable on its own (a savepoint).</summary>
    ValueTask BeginRequestAsync(CancellationToken ct);

    /// <summary>The request passed the rules: its rows stay in the transaction.</summary>
    ValueTask AcceptRequestAsync(CancellationToken ct);

    /// <summary>The request conflicted: every row it wrote since <see cref="BeginRequestAsync"/> is undone, the rest of the group stays.</summary>
    ValueTask RejectRequestAsync(CancellationToken ct);

    /// <summary>
    /// Writes what the store kept for the end (rows buffered for a bulk copy, pre-aggregated counts)
    /// and commits durably. Nothing of the group is visible, or acknowledged, before this returns.
    /// </summary>
    ValueTask CommitAsync(CancellationToken ct);
}
