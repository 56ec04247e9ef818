using Witness.Events;
using Witness.Integrity;
using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// Everything Witness keeps: the tenants' append-only logs, checkpoints, API keys and settings. The
/// SQLite and PostgreSQL stores implement it and pass one conformance suite. All methods are safe to
/// call concurrently; <see cref="AppendAsync"/> is called by one ingest loop per process.
/// </summary>
public interface IWitnessStore : IAsyncDisposable
{
    /// <summary>A short name for logs and health output, e.g. "sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>Applies migrations and checks durability settings; throws <see cref="InvalidOperationException"/> when the store cannot guarantee that committed events survive a crash.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>
    /// Appends the requests in one transaction and one durable commit (group commit). Each request is
    /// all-or-nothing on its own: a request that conflicts is rolled back alone and reported in its
    /// result, the others are committed. Returns one result per request, in order, only after the commit is durable.
    /// </summary>
    Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct);

    Task<EventPage> SearchAsync(string tenant, EventFilter filter, int limit, EventCursor? after, CancellationToken ct);

    /// <summary>Every event matching the filter, newest first, streamed: memory stays flat whatever the count.</summary>
    IAsyncEnumerable<StoredEvent> StreamAsync(string tenant, EventFilter filter, CancellationToken ct);

    Task<StoredEvent?> FindAsync(string tenant, string id, CancellationToken ct);

    Task<StoredEvent?> FindBySeqAsync(string tenant, long seq, CancellationToken ct);

    /// <summary>The tenant's log in seq order from <paramref name="fromSeq"/>, with the index columns as stored, for verification.</summary>
    IAsyncEnumerable<StoredRow> ReadLogAsync(string tenant, long fromSeq, CancellationToken ct);

    /// <summary>
    /// The tenant's log from <paramref name="fromSeq"/> in blocks of raw columns, for verification's pass
    /// over the whole log; the same rows as <see cref="ReadLogAsync"/>, which stores without a faster way read.
    /// </summary>
    ILogRowReader OpenLogRows(string tenant, long fromSeq, CancellationToken ct) => new StoredRowReader(ReadLogAsync(tenant, fromSeq, ct), ct);

    /// <summary>The tenant's target index rows (seq, target type, target id), in no particular order, for verification.</summary>
    IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync(string tenant, CancellationToken ct);

    /// <summary>
    /// Calls <paramref name="visit"/> with each of the tenant's target index rows, text as UTF-8, in no
    /// particular order: the same rows as <see cref="ReadTargetRowsAsync"/>, which stores without a faster way read.
    /// </summary>
    async Task VisitTargetRowsAsync(string tenant, TargetRowVisitor visit, CancellationToken ct)
    {
        await foreach (var (seq, type, id) in ReadTargetRowsAsync(tenant, ct))
        {
            visit(seq, System.Text.Encoding.UTF8.GetBytes(type), System.Text.Encoding.UTF8.GetBytes(id));
        }
    }

    /// <summary>Opens one consistent snapshot of the tenant's log for verification (<see cref="ILogSnapshot"/>).</summary>
    Task<ILogSnapshot> OpenSnapshotAsync(string tenant, CancellationToken ct);

    /// <summary>The stored interior nodes of the tenant's tree, in (level, index) order.</summary>
    IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync(string tenant, CancellationToken ct);

    /// <summary>The tenant's head as committed (size and frontier), or null when the tenant has no log.</summary>
    Task<MerkleFrontier?> GetFrontierAsync(string tenant, CancellationToken ct);

    /// <summary>Reads the tenant's stored hashes for proofs.</summary>
    INodeSource Nodes(string tenant);

    Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct);

    Task SaveCheckpointAsync(string tenant, StoredCheckpoint checkpoint, CancellationToken ct);

    Task<StoredCheckpoint?> LatestCheckpointAsync(string tenant, CancellationToken ct);

    Task<StoredCheckpoint?> CheckpointAtLeastAsync(string tenant, long size, CancellationToken ct);

    IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(string tenant, CancellationToken ct);

    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct);

    Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken ct);

    Task<TenantSettings> GetSettingsAsync(string tenant, CancellationToken ct);

    Task SaveSettingsAsync(string tenant, TenantSettings settings, CancellationToken ct);
}

/// <summary>A row of a tenant's log as stored, index columns included, for the chain verifier.</summary>
public sealed record StoredRow(long Seq, string Id, byte[] Body, byte[] Hash, EventIndexKeys Keys)
{
    /// <summary>The seq column as stored, where a store keeps it apart from the row's position (on SQLite the position is the row id).</summary>
    public long SeqColumn { get; init; } = Seq;

    /// <summary>Whether the row's tenant column names the tenant whose log holds the row.</summary>
    public bool TenantColumnMatches { get; init; } = true;

    /// <summary>The row's <c>content_digest</c>, where the store reads it for verification (null when not read).</summary>
    public byte[]? ContentDigest { get; init; }

    /// <summary>The row's <c>client_omitted</c> flags; null when NULL (stored before the column existed) or not read: the digest is then not checked.</summary>
    public Events.ClientOmitted? ClientOmitted { get; init; }

    /// <summary>False when the store keeps a separate id index (PostgreSQL's <c>event_ids</c>) and it lacks this row or names another id for its seq.</summary>
    public bool IdIndexed { get; init; } = true;

    /// <summary>The row's personal record (leaf version 2, <see cref="Events.PersonalValues"/>); null when the leaf is the body.</summary>
    public byte[]? Personal { get; init; }

    /// <summary>
    /// For a split row (<see cref="Events.PersonalSplit"/>: its values kept beside it), the personal part of its free text,
    /// which the side row keeps; <see cref="EventIndexKeys.SearchText"/> is then the row's public text only. Null for any other row.
    /// </summary>
    public string? PersonalText { get; init; }

    /// <summary>The leaf bytes of the row, or null when its personal record does not fit its body.</summary>
    public byte[]? LeafBytes()
    {
        var leaf = new System.Buffers.ArrayBufferWriter<byte>(Body.Length + 256);
        return Events.PersonalValues.TryLeaf(Body, Personal, Personal is not null, leaf) ? leaf.WrittenSpan.ToArray() : null;
    }
}

/// <summary>A signed checkpoint of a tenant's log: its size, root hash and the signed note text.</summary>
/// <summary>Receives one target index row: the event's seq, the target type and the target id, as UTF-8.</summary>
public delegate void TargetRowVisitor(long seq, ReadOnlySpan<byte> type, ReadOnlySpan<byte> id);

public sealed record StoredCheckpoint(long Size, byte[] RootHash, string Note, DateTimeOffset CreatedAt)
{
    /// <summary>As stored: the size of the checkpoint signed before this one (0 for the first), so that a removed row breaks the chain; null when not read.</summary>
    public long? PreviousSize { get; init; }
}

/// <summary>
/// An API key as stored: never the key itself, only the SHA-256 of its secret part. <see cref="Tenant"/>
/// is null for a global key. A revoked key (<see cref="RevokedAt"/> set) is never returned by
/// <see cref="IWitnessStore.FindApiKeyAsync"/>, so it stops working at once on every instance.
/// </summary>
public sealed record ApiKeyRecord(string KeyId, byte[] SecretHash, string? Tenant, IReadOnlyList<string> Scopes, string Name, DateTimeOffset CreatedAt)
{
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>A tenant's settings, with the defaults of SPEC §8.</summary>
public sealed record TenantSettings
{
    public int RetentionDays { get; init; } = 90;
    public string TimeZone { get; init; } = "UTC";
    public bool StrictMode { get; init; }
    public bool LegalHold { get; init; }

    /// <summary>Personal values of events received more than this many days ago are erased (docs/erasure.md); null: kept as long as the events.</summary>
    public int? PersonalDataDays { get; init; }

    public static TenantSettings Default { get; } = new();
}
