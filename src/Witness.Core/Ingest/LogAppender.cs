using Witness.Events;
using Witness.Integrity;
using Witness.Search;
using Witness.Storage;

namespace Witness.Ingest;

/// <summary>
/// The rules of appending to tenants' logs, written once for every store: seq 1, 2, 3 … per tenant,
/// idempotency on client ids (same body → the stored event, other body → conflict), canonical bytes
/// and leaf hash, and the Merkle frontier with its completed nodes. A store runs it inside its own
/// transaction through <see cref="ILogTransaction"/>. It also cuts the accepted events of each tenant
/// into free-text blocks of at most <paramref name="textBlockEvents"/> events (<see cref="TextBlock"/>),
/// which <see cref="SaveHeadsAsync"/> hands to the store in the same transaction.
/// </summary>
public sealed class LogAppender(ILogTransaction tx, int textBlockEvents = TextBlock.DefaultMaxEvents)
{
    private readonly Dictionary<string, LogHead> _heads = new(StringComparer.Ordinal);
    private readonly Dictionary<long, TextBlockBuilder> _textBlocks = [];
    private readonly List<(long TenantId, long Seq, long OccurredMicros, string SearchText)> _requestText = [];

    /// <summary>
    /// The group-commit loop every store runs inside its transaction: each request in its own
    /// savepoint (a conflicting one is rolled back alone and answered with its conflict), then the
    /// changed heads and free-text blocks, then the store's durable commit. Returns one result per
    /// request, in order.
    /// </summary>
    public static async Task<IReadOnlyList<AppendResult>> AppendGroupAsync(
        ILogTransaction log, IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, int textBlockEvents, CancellationToken ct) =>
        (await TryAppendGroupAsync(log, requests, receivedAt, textBlockEvents, savepoints: true, ct))!;

    /// <summary>
    /// <see cref="AppendGroupAsync"/>, or with <paramref name="savepoints"/> false the same loop for a transaction that opens no
    /// savepoint per request: null, before anything is committed, as soon as a request conflicts; the caller then rolls the
    /// transaction back and appends the group again with savepoints. A savepoint makes the engine keep a copy of every page
    /// the request changes, so a store whose requests almost never conflict may try without first (SQLite: about 5 us of the
    /// single writer's time per event, ingest 0.83x to 0.91x of the pre-commitment baseline; bench/RESULTS.md, session 15).
    /// </summary>
    public static async Task<IReadOnlyList<AppendResult>?> TryAppendGroupAsync(
        ILogTransaction log, IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, int textBlockEvents, bool savepoints, CancellationToken ct)
    {
        var appender = new LogAppender(log, textBlockEvents);
        var results = new List<AppendResult>(requests.Count);
        foreach (var request in requests)
        {
            await log.BeginRequestAsync(ct);
            var result = await appender.AppendAsync(request, receivedAt, ct);
            if (result.Conflict is null)
            {
                await log.AcceptRequestAsync(ct);
            }
            else if (!savepoints)
            {
                return null;
            }
            else
            {
                await log.RejectRequestAsync(ct);
            }

            results.Add(result);
        }

        await appender.SaveHeadsAsync(ct);
        await log.CommitAsync(ct);
        return results;
    }

    /// <summary>The heads changed by the requests accepted so far; the store saves them before it commits.</summary>
    public IEnumerable<LogHead> ChangedHeads => _heads.Values;

    /// <summary>
    /// Appends one request. On a conflict nothing of this request is kept in the appender's heads, and
    /// the caller must roll back the request's rows (a savepoint) before going on.
    /// </summary>
    public async ValueTask<AppendResult> AppendAsync(IReadOnlyList<SubmittedEvent> request, DateTimeOffset receivedAt, CancellationToken ct)
    {
        var working = new Dictionary<string, LogHead>(StringComparer.Ordinal);
        var seenInRequest = new Dictionary<(string Tenant, string Id), (AppendedEvent Event, byte[] Digest)>();
        var results = new List<AppendedEvent>(request.Count);
        var nodes = new List<(long TenantId, int Level, long Index, byte[] Hash)>();
        var received = EventParser.Truncate(receivedAt);
        var existingByTenant = new Dictionary<string, IReadOnlyDictionary<string, ExistingEvent>>(StringComparer.Ordinal);
        _requestText.Clear();

        for (var i = 0; i < request.Count; i++)
        {
            var submitted = request[i];
            var e = submitted.Event;
            if (!working.TryGetValue(e.Tenant, out var head))
            {
                head = _heads.TryGetValue(e.Tenant, out var known) ? known.Clone() : await tx.GetHeadAsync(e.Tenant, ct);
                working[e.Tenant] = head;

                // One lookup for every client id of this tenant in the request, instead of one per event.
                var ids = request.Where(r => r.ClientChoseId && r.Event.Tenant == e.Tenant).Select(r => r.Event.Id).ToHashSet(StringComparer.Ordinal);
                existingByTenant[e.Tenant] = ids.Count == 0 ? new Dictionary<string, ExistingEvent>() : await tx.FindByIdsAsync(head.TenantId, ids, ct);
            }

            if (submitted.ClientChoseId)
            {
                if (seenInRequest.TryGetValue((e.Tenant, e.Id), out var earlier))
                {
                    if (!earlier.Digest.AsSpan().SequenceEqual(submitted.ContentDigest))
                    {
                        return AppendResult.Rejected(new AppendConflict(i, e.Id, $"id '{e.Id}' appears twice in this request with different bodies"));
                    }

                    results.Add(earlier.Event with { Replayed = true });
                    continue;
                }

                if (existingByTenant[e.Tenant].TryGetValue(e.Id, out var existing))
                {
                    if (!existing.ContentDigest.AsSpan().SequenceEqual(submitted.ContentDigest))
                    {
                        return AppendResult.Rejected(new AppendConflict(i, e.Id, $"an event with id '{e.Id}' was already stored with a different body"));
                    }

                    var replay = new AppendedEvent(e.Tenant, e.Id, existing.Seq, existing.Hash, existing.Body, Replayed: true);
                    seenInRequest[(e.Tenant, e.Id)] = (replay, existing.ContentDigest);
                    results.Add(replay);
                    continue;
                }
            }

            var stored = e with { Seq = head.Size + 1, ReceivedAt = received };
            var prepared = submitted.Prepare().Prepared!;
            var body = prepared.Parts.Complete(stored.Seq, received, out var hash, out var masked);
            var personal = prepared.Parts.Personal;
            var tenantId = head.TenantId;
            head.Frontier.Append(hash, (level, index, nodeHash) =>
            {
                if (level >= MerkleNodes.StoredLevel)
                {
                    nodes.Add((tenantId, level, index, nodeHash));
                }
            });

            await tx.InsertAsync(head, new LogEntry(stored, body, hash, submitted.ContentDigest, prepared.Keys with { ReceivedAtMicros = EventIndexKeys.Micros(received) }) { Omitted = submitted.Omitted, Personal = personal, MarkedEmails = prepared.Parts.MarkedEmails, Split = prepared.Parts.Split, Masked = masked }, ct);
            _requestText.Add((tenantId, stored.Seq, prepared.Keys.OccurredAtMicros, prepared.Keys.SearchText));
            var appended = new AppendedEvent(e.Tenant, e.Id, stored.Seq, hash, body, Replayed: false);
            seenInRequest[(e.Tenant, e.Id)] = (appended, submitted.ContentDigest);
            results.Add(appended);
        }

        foreach (var (tenantId, level, index, hash) in nodes)
        {
            await tx.InsertNodeAsync(tenantId, level, index, hash, ct);
        }

        foreach (var (tenant, head) in working)
        {
            _heads[tenant] = head;
        }

        // Only an accepted request's events reach the blocks: a rejected one is rolled back and its seqs reused.
        foreach (var (tenantId, seq, occurred, text) in _requestText)
        {
            if (!_textBlocks.TryGetValue(tenantId, out var builder))
            {
                _textBlocks[tenantId] = builder = new TextBlockBuilder(textBlockEvents);
            }

            builder.Add(seq, occurred, text);
        }

        return new AppendResult(results, null);
    }

    /// <summary>Saves every changed head and the free-text blocks of the accepted events; call once, after the last request and before the commit.</summary>
    public async ValueTask SaveHeadsAsync(CancellationToken ct)
    {
        foreach (var head in _heads.Values)
        {
            await tx.SaveHeadAsync(head, ct);
        }

        foreach (var (tenantId, builder) in _textBlocks)
        {
            builder.Complete();
            foreach (var block in builder.Blocks)
            {
                await tx.InsertTextBlockAsync(tenantId, block, ct);
            }
        }

        _textBlocks.Clear();
    }
}
