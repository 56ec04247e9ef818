using System.Runtime.CompilerServices;
using Witness.Integrity;
using Witness.Search;
using Witness.Storage;

namespace Witness.Export;

/// <summary>
/// What one export holds: a tenant's events matching a filter, up to the signed checkpoint issued
/// before the export started (so every exported event is covered by it), and how to describe them.
/// Events are read from the store in keyset chunks as a writer asks for them; nothing is buffered.
/// </summary>
public sealed class ExportSource
{
    /// <summary>Rows read per query when the log is read in seq order.</summary>
    internal const int SeqChunk = 1000;

    private readonly IWitnessStore _store;

    internal ExportSource(IWitnessStore store, string tenant, EventFilter filter, IReadOnlyDictionary<string, string> filters, TimeZoneInfo zone,
        StoredCheckpoint? checkpoint, string origin, ExportPeriod period, DateTimeOffset generatedAt, SigningKey signer)
    {
        _store = store;
        Tenant = tenant;
        Filter = filter;
        Filters = filters;
        Zone = zone;
        Checkpoint = checkpoint;
        CheckpointOrigin = origin;
        Period = period;
        GeneratedAt = generatedAt;
        Signer = signer;
    }

    public string Tenant { get; }

    public EventFilter Filter { get; }

    /// <summary>The filters as the caller gave them (parameter name to value), for the file's header, the report cover and the audit event.</summary>
    public IReadOnlyDictionary<string, string> Filters { get; }

    /// <summary>The tenant's time zone: local times and the period are shown in it.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>The checkpoint every exported event is covered by; null when the tenant has no events.</summary>
    public StoredCheckpoint? Checkpoint { get; }

    /// <summary>The checkpoint's origin, <c>&lt;key name&gt;/&lt;tenant&gt;</c>.</summary>
    public string CheckpointOrigin { get; }

    public ExportPeriod Period { get; }

    public DateTimeOffset GeneratedAt { get; }

    /// <summary>The log's signing key: the verifiable NDJSON export signs its trailer with it.</summary>
    public SigningKey Signer { get; }

    /// <summary>The size of the log the export is taken from: events with a larger seq arrived later and are left out.</summary>
    public long LogSize => Checkpoint?.Size ?? 0;

    /// <summary>True when nothing narrows the export: it is the whole log up to <see cref="LogSize"/>.</summary>
    public bool IsWholeLog => Filter.From is null && Filter.To is null && Filter.Terms.Count == 0;

    /// <summary>How many events the writer has been handed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>The stored hashes of the tenant's tree, for inclusion proofs.</summary>
    public INodeSource Nodes => _store.Nodes(Tenant);

    /// <summary>
    /// What a verifiable export carries about its keys: for a whole-log export, the last checkpoint each older
    /// signing key signed below <see cref="Checkpoint"/> (so a log signed across key rotations is checked under
    /// each key of its time), and the registered keys those checkpoints, <see cref="Checkpoint"/> and the trailer
    /// (<see cref="Signer"/>) name, oldest first.
    /// </summary>
    public async Task<(IReadOnlyList<StoredCheckpoint> Checkpoints, IReadOnlyList<RegisteredKey> Keys)> KeyHistoryAsync(bool wholeLog, CancellationToken ct)
    {
        var registry = _store is ISigningKeyStore keys ? await keys.ListSigningKeysAsync(ct).ConfigureAwait(false) : [];
        var signer = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(Signer.Key));
        var needed = new HashSet<string>(StringComparer.Ordinal) { signer };
        var earlier = new List<StoredCheckpoint>();
        if (Checkpoint is { } main)
        {
            var mainKey = ClaimedKey(main.Note);
            needed.Add(mainKey);
            if (wholeLog)
            {
                var signed = new List<StoredCheckpoint>();
                await foreach (var checkpoint in _store.ReadCheckpointsAsync(Tenant, ct).ConfigureAwait(false))
                {
                    if (checkpoint.Size < main.Size)
                    {
                        signed.Add(checkpoint);
                    }
                }

                signed.Sort((a, b) => a.Size.CompareTo(b.Size));
                for (var i = 0; i < signed.Count; i++)
                {
                    var key = ClaimedKey(signed[i].Note);
                    var next = i + 1 < signed.Count ? ClaimedKey(signed[i + 1].Note) : mainKey;
                    if (key != next)
                    {
                        earlier.Add(signed[i]);
                        needed.Add(key);
                    }
                }
            }
        }

        var carried = registry.Where(k => needed.Contains(k.KeyId)).ToList();
        if (!carried.Any(k => k.KeyId == signer))
        {
            // A store that registered no key yet: the signer is carried as it is.
            carried.Add(new RegisteredKey(0, signer, Signer.PublicKeyPem, GeneratedAt, null, null));
        }

        return (earlier, carried);
    }

    private static string ClaimedKey(string note) =>
        CheckpointSigner.SignerKeyIds(note) is [var id, ..] ? RegisteredKey.FormatKeyId(id) : "";

    /// <summary>The matching events newest first (by occurred_at, then seq), as the API lists them.</summary>
    public async IAsyncEnumerable<StoredEvent> NewestFirstAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (LogSize == 0)
        {
            yield break;
        }

        await foreach (var e in _store.StreamAsync(Tenant, Filter, ct).ConfigureAwait(false))
        {
            if (e.Seq <= LogSize)
            {
                Rows++;
                yield return e;
            }
        }
    }

    /// <summary>
    /// Every event of the log from seq 1 to <see cref="LogSize"/> in seq order, read in chunks; only
    /// meaningful for <see cref="IsWholeLog"/>. Stops early when the log has a gap (a purged prefix).
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> InSeqOrderAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var next = 1L;
        while (next <= LogSize)
        {
            var read = 0;
            await foreach (var row in _store.ReadLogAsync(Tenant, next, ct).ConfigureAwait(false))
            {
                if (row.Seq != next || row.Seq > LogSize)
                {
                    yield break;
                }

                Rows++;
                yield return new StoredEvent(row.Seq, row.Body, row.Hash) { Personal = row.Personal };
                next++;
                if (++read == SeqChunk)
                {
                    break;
                }
            }

            if (read == 0)
            {
                yield break;
            }
        }
    }

    /// <summary>True when the store still holds seq 1, so the whole log can be exported from its start.</summary>
    internal async Task<bool> HoldsLogStartAsync(CancellationToken ct) =>
        LogSize > 0 && await _store.FindBySeqAsync(Tenant, 1, ct).ConfigureAwait(false) is not null;
}
