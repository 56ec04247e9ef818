using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using System.Text.Json;
using Witness.Events;
using Witness.Integrity;
using Witness.Retention;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// Recomputes a tenant's log from the store and checks it against everything that vouches for it:
/// each event's bytes against its leaf hash, its seq and tenant against its position, the index
/// columns against the body, the stored subtree hashes, every signed checkpoint (root and
/// signature), and the committed head. Names the first seq that does not match.
/// </summary>
public sealed class ChainVerifier(IWitnessStore store, ECDsa publicKey, string keyName)
{
    private const int Chunk = 4096;
    private const int BlocksInFlight = 6;

    public async Task<ChainVerification> VerifyAsync(string tenant, CancellationToken ct)
    {
        var checkpoints = new List<StoredCheckpoint>();
        await foreach (var checkpoint in store.ReadCheckpointsAsync(tenant, ct))
        {
            checkpoints.Add(checkpoint);
        }

        var nodes = new Dictionary<(int, long), byte[]>();
        await foreach (var (level, index, hash) in store.ReadNodesAsync(tenant, ct))
        {
            nodes[(level, index)] = hash;
        }

        // After retention the log starts after its purged prefix: the recomputation starts from the
        // prefix's compact range (stored nodes) instead of the empty tree.
        var purged = store is IRetentionStore retention ? (await retention.GetPurgedPrefixAsync(tenant, ct)).PurgedThrough : 0;
        var start = RetentionBlocks.PrefixFrontier(purged, (level, index) => nodes.GetValueOrDefault((level, index)));
        if (start is null)
        {
            return ChainVerification.Bad(purged, purged + 1, $"the stored hashes that stand for the {purged} purged events are missing", 0) with { Purged = purged };
        }

        var (prefixCheckpoints, prefixProblem) = await CheckPurgedCheckpointsAsync(tenant, purged, checkpoints, nodes, ct);
        if (prefixProblem is not null)
        {
            return prefixProblem with { Purged = purged };
        }

        var state = new State(tenant, [.. checkpoints.Where(c => c.Size > purged)], nodes, publicKey, keyName, start, prefixCheckpoints);
        var result = await RecomputeAsync(state, purged, ct);
        return result with { Purged = purged };
    }

    private async Task<ChainVerification> RecomputeAsync(State state, long purged, CancellationToken ct)
    {
        var tenant = state.Tenant;

        // The work overlaps without stages waiting on each other: one worker per core takes a free block,
        // fills it with the next rows from the store (one worker at a time, which also fixes the block's
        // place in the log) and then hashes and checks its rows (leaf hashes, index columns) while the
        // other worker reads; an appender takes the checked blocks in log order, appends their leaves to
        // the tree and compares the stored hashes and signed checkpoints. A few blocks go round; the
        // target index is read and summed meanwhile.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var free = Channel.CreateUnbounded<LogRowBlock>();
        var inOrder = Channel.CreateUnbounded<CheckedBlock>();
        for (var i = 0; i < BlocksInFlight; i++)
        {
            free.Writer.TryWrite(new LogRowBlock(Chunk));
        }

        var targets = Task.Run(() => StoredTargetDigestAsync(tenant, stop.Token), stop.Token);
        var rows = store.OpenLogRows(tenant, purged + 1, stop.Token);
        using var reading = new SemaphoreSlim(1, 1);
        var done = false;
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var block = await free.Reader.ReadAsync(stop.Token);
                CheckedBlock item;
                await reading.WaitAsync(stop.Token);
                try
                {
                    if (done || !await rows.FillAsync(block, stop.Token))
                    {
                        done = true;
                        free.Writer.TryWrite(block);
                        return;
                    }

                    item = new CheckedBlock(block);
                    inOrder.Writer.TryWrite(item);
                }
                catch
                {
                    done = true;
                    throw;
                }
                finally
                {
                    reading.Release();
                }

                try
                {
                    item.Checks.SetResult(state.Check(block));
                }
                catch (Exception ex)
                {
                    item.Checks.SetException(ex);
                }
            }
        }, stop.Token)).ToArray();
        // Ends the in-order channel once the workers have read everything (or failed), and closes the rows.
        var filling = Task.Run(async () =>
        {
            try
            {
                await Task.WhenAll(workers);
                inOrder.Writer.Complete();
            }
            catch (Exception ex)
            {
                inOrder.Writer.Complete(ex);
            }
            finally
            {
                await rows.DisposeAsync();
            }
        });

        var appender = Task.Run(async () =>
        {
            await foreach (var item in inOrder.Reader.ReadAllAsync(stop.Token))
            {
                var checks = await item.Checks.Task.WaitAsync(stop.Token);
                var bad = state.Append(item.Block, checks);
                System.Buffers.ArrayPool<RowCheck>.Shared.Return(checks, clearArray: true);
                if (bad is not null)
                {
                    // Stops the other stages: nothing after the first problem is needed.
                    await stop.CancelAsync();
                    return bad;
                }

                free.Writer.TryWrite(item.Block);
            }

            return null;
        }, stop.Token);

        ChainVerification? problem;
        try
        {
            problem = await appender;
        }
        finally
        {
            if (!appender.IsCompletedSuccessfully || appender.Result is not null)
            {
                await stop.CancelAsync();
            }

            await Task.WhenAll(Task.WhenAny(filling), Task.WhenAny(appender));
        }

        if (problem is not null)
        {
            await Task.WhenAny(targets);
            return problem;
        }

        var storedTargets = await targets;
        var head = await store.GetFrontierAsync(tenant, ct) ?? new MerkleFrontier();
        return state.Finish(head)
            ?? await CheckTargetsAsync(state, storedTargets, ct)
            ?? await CheckLayoutAsync(state, purged, ct)
            ?? ChainVerification.Good(state.Size, state.CheckpointsChecked);
    }

    /// <summary>
    /// Checks the signed checkpoints of the purged prefix: each signature, and each root recomputed
    /// from the kept hashes (stored nodes, plus the leaf hashes retention keeps for blocks where a
    /// checkpoint ends). Returns how many were checked, or the problem found.
    /// </summary>
    private async Task<(int Checked, ChainVerification? Problem)> CheckPurgedCheckpointsAsync(
        string tenant, long purged, List<StoredCheckpoint> checkpoints, Dictionary<(int, long), byte[]> nodes, CancellationToken ct)
    {
        var hasher = new SubtreeHasher(new KeptHashes(nodes, store.Nodes(tenant)));
        var count = 0;
        foreach (var checkpoint in checkpoints.Where(c => c.Size <= purged))
        {
            if (!IsSigned(checkpoint))
            {
                return (count, ChainVerification.Bad(purged, null, $"the checkpoint at size {checkpoint.Size} is not signed by this server's key", count));
            }

            byte[] root;
            try
            {
                root = await hasher.HashAsync(0, checkpoint.Size, ct);
            }
            catch (PurgedLeavesException)
            {
                return (count, ChainVerification.Bad(purged, null, $"the leaf hashes retention keeps for the checkpoint at size {checkpoint.Size} are missing", count));
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                return (count, ChainVerification.Bad(purged, null, $"the hashes kept for the purged events no longer match the checkpoint signed at size {checkpoint.Size}", count));
            }

            count++;
        }

        return (count, null);
    }

    private bool IsSigned(StoredCheckpoint checkpoint) =>
        CheckpointSigner.TryVerify(checkpoint.Note, keyName, publicKey, out var note)
        && note is not null && note.Size == checkpoint.Size && note.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash);

    /// <summary>The stored nodes already read for verification, and the store's leaf hashes (retained events and kept purged blocks).</summary>
    private sealed class KeptHashes(Dictionary<(int, long), byte[]> nodes, INodeSource store) : INodeSource
    {
        public ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct) => ValueTask.FromResult(nodes.GetValueOrDefault((level, index)));

        public ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) => store.GetLeafHashesAsync(start, count, ct);
    }

    /// <summary>
    /// Where the store keeps more than rows and targets (<see cref="IVerifiableLayout"/>): no row of the
    /// tenant lies outside its log, and every (email, actor id) pair of its events is there for email search.
    /// </summary>
    private async Task<ChainVerification?> CheckLayoutAsync(State state, long purged, CancellationToken ct)
    {
        if (store is not IVerifiableLayout layout)
        {
            return null;
        }

        var rows = await layout.CountEventRowsAsync(state.Tenant, ct);
        if (rows != state.Size - purged)
        {
            return ChainVerification.Bad(state.Size, state.Size + 1,
                $"the store holds {rows} rows of this tenant but its log holds {state.Size - purged}: rows were inserted outside the log", state.CheckpointsChecked);
        }

        var stored = new HashSet<(string, string)>();
        await foreach (var pair in layout.ReadActorEmailsAsync(state.Tenant, ct))
        {
            stored.Add(pair);
        }

        var missing = state.EmailPairs.All().FirstOrDefault(p => !stored.Contains(p.Pair));
        return missing.Pair.Email is null
            ? null
            : ChainVerification.Bad(state.Size, missing.Seq,
                $"the email index lost the pair ({missing.Pair.Email}, {missing.Pair.ActorId}) of event {missing.Seq}: searches by that email would miss events", state.CheckpointsChecked);
    }

    private async Task<ulong> StoredTargetDigestAsync(string tenant, CancellationToken ct)
    {
        ulong stored = 0;
        await store.VisitTargetRowsAsync(tenant, (seq, type, id) => stored += TargetDigest(seq, type, id), ct);
        return stored;
    }

    /// <summary>The target index against the events' targets: the stored rows' digest (<see cref="StoredTargetDigestAsync"/>) against the one summed while checking.</summary>
    private async Task<ChainVerification?> CheckTargetsAsync(State state, ulong storedDigest, CancellationToken ct)
    {
        if (storedDigest == state.TargetDigest)
        {
            return null;
        }

        // The order-free digests differ; find the first event whose target rows are not what its body says.
        var rowsBySeq = new Dictionary<long, List<(string, string)>>();
        await foreach (var (seq, type, id) in store.ReadTargetRowsAsync(state.Tenant, ct))
        {
            (rowsBySeq.TryGetValue(seq, out var list) ? list : rowsBySeq[seq] = []).Add((type, id));
        }

        await foreach (var row in store.ReadLogAsync(state.Tenant, 1, ct))
        {
            var expected = CanonicalEvent.Read(row.Body).Targets.Select(t => (t.Type, t.Id)).Distinct().Order().ToList();
            var actual = rowsBySeq.TryGetValue(row.Seq, out var list) ? list.Order().ToList() : [];
            if (!expected.SequenceEqual(actual))
            {
                return ChainVerification.Bad(state.Size, row.Seq, "the target index rows differ from the event's targets", state.CheckpointsChecked);
            }
        }

        return ChainVerification.Bad(state.Size, null, "the target index holds rows for events that do not exist", state.CheckpointsChecked);
    }

    /// <summary>
    /// An order-free digest of one target index row, summed over all rows. Both sides of the
    /// comparison are computed in this process, so the process-seeded <see cref="HashCode"/> suffices
    /// and nobody outside can aim for a collision.
    /// </summary>
    internal static ulong TargetDigest(long seq, string type, string id)
    {
        Span<byte> utf8 = stackalloc byte[512];
        var size = Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(id);
        var bytes = size <= utf8.Length ? utf8 : new byte[size];
        var typeLength = Encoding.UTF8.GetBytes(type, bytes);
        var idLength = Encoding.UTF8.GetBytes(id, bytes[typeLength..]);
        return TargetDigest(seq, bytes[..typeLength], bytes.Slice(typeLength, idLength));
    }

    /// <inheritdoc cref="TargetDigest(long, string, string)"/>
    internal static ulong TargetDigest(long seq, ReadOnlySpan<byte> type, ReadOnlySpan<byte> id)
    {
        var high = new HashCode();
        high.Add(seq);
        high.Add(type.Length);
        high.AddBytes(type);
        high.AddBytes(id);
        var low = new HashCode();
        low.Add(0x5bd1e995);
        low.Add(id.Length);
        low.AddBytes(id);
        low.AddBytes(type);
        low.Add(seq);
        return ((ulong)(uint)high.ToHashCode() << 32) | (uint)low.ToHashCode();
    }

    private sealed class State(
        string tenant, List<StoredCheckpoint> checkpoints, Dictionary<(int, long), byte[]> nodes, ECDsa publicKey, string keyName, MerkleFrontier start, int checkedBefore)
    {
        private readonly MerkleFrontier _frontier = start;
        private readonly byte[] _tenantUtf8 = Encoding.UTF8.GetBytes(tenant);
        private Action<int, long, byte[]>? _onNode;
        private int _nextCheckpoint;
        private string? _nodeProblem;
        private long _nodeBadSeq;
        private long _lastGoodCheckpoint = start.Size;

        public string Tenant => tenant;
        public long Size => _frontier.Size;
        public ulong TargetDigest { get; private set; }

        /// <summary>Each (email, actor id) pair of the log's events, with the first seq that carries it.</summary>
        public EmailPairSet EmailPairs { get; } = new();
        public int CheckpointsChecked { get; private set; } = checkedBefore;

        /// <summary>Hashes and checks a block's rows; thread-safe beside other blocks' checks and <see cref="Append"/>.</summary>
        public RowCheck[] Check(LogRowBlock rows)
        {
            // Pooled: a block's checks are larger than the large-object threshold, and a fresh array per
            // block drove full collections.
            var checks = System.Buffers.ArrayPool<RowCheck>.Shared.Rent(rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                checks[i] = Check(rows, i);
            }

            return checks;
        }

        /// <summary>Appends a checked block's leaves in log order, checking positions, stored hashes and checkpoints on the way.</summary>
        public ChainVerification? Append(LogRowBlock rows, RowCheck[] checks)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var seq = rows.Position(i);
                var expected = _frontier.Size + 1;
                if (seq != expected)
                {
                    return Bad(Math.Min(seq, expected), seq > expected
                        ? $"event {expected} is missing from the log"
                        : $"event {seq} appears again after event {expected - 1}");
                }

                var check = checks[i];
                if (check.Problem is not null)
                {
                    return Bad(seq, check.Problem);
                }

                TargetDigest += check.TargetDigest;
                if (check.PairInColumns)
                {
                    EmailPairs.Add(rows.Cell(i, LogColumn.ActorEmail), rows.Cell(i, LogColumn.ActorId), seq);
                }
                else if (check.EmailPair is { } pair)
                {
                    EmailPairs.Add(pair.Email, pair.ActorId, seq);
                }

                _frontier.Append(check.Leaf, _onNode ??= OnNode);
                if (_nodeProblem is not null)
                {
                    return Bad(_nodeBadSeq, _nodeProblem);
                }

                while (_nextCheckpoint < checkpoints.Count && checkpoints[_nextCheckpoint].Size == _frontier.Size)
                {
                    if (CheckCheckpoint(checkpoints[_nextCheckpoint]) is { } bad)
                    {
                        return bad;
                    }
                }
            }

            return null;
        }

        public ChainVerification? Finish(MerkleFrontier head)
        {
            while (_nextCheckpoint < checkpoints.Count)
            {
                var checkpoint = checkpoints[_nextCheckpoint];
                if (!IsSigned(checkpoint))
                {
                    return Bad(null, $"the checkpoint at size {checkpoint.Size} is not signed by this server's key");
                }

                if (checkpoint.Size > _frontier.Size)
                {
                    return Bad(_frontier.Size + 1, $"a signed checkpoint covers {checkpoint.Size} events but the log holds {_frontier.Size}: events were removed");
                }

                if (CheckCheckpoint(checkpoint) is { } bad)
                {
                    return bad;
                }
            }

            if (head.Size != _frontier.Size)
            {
                return head.Size > _frontier.Size
                    ? Bad(_frontier.Size + 1, $"the log's head says {head.Size} events but {_frontier.Size} are stored: events were removed")
                    : Bad(head.Size + 1, $"the log holds {_frontier.Size} events but its head says {head.Size}: events were inserted");
            }

            if (!head.Root().AsSpan().SequenceEqual(_frontier.Root()))
            {
                return Bad(_lastGoodCheckpoint + 1, "the recomputed root differs from the log's head");
            }

            return null;
        }

        private ChainVerification? CheckCheckpoint(StoredCheckpoint checkpoint)
        {
            _nextCheckpoint++;
            var root = _frontier.Root();
            if (!IsSigned(checkpoint))
            {
                return Bad(null, $"the checkpoint at size {checkpoint.Size} is not signed by this server's key");
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                var from = _lastGoodCheckpoint + 1;
                return Bad(from, $"the log no longer matches the checkpoint signed at size {checkpoint.Size}: an event from {from} to {checkpoint.Size} was changed");
            }

            CheckpointsChecked++;
            _lastGoodCheckpoint = checkpoint.Size;
            return null;
        }

        /// <summary>The note verifies with the server's key, is of this tenant's log, and says what the stored columns say.</summary>
        private bool IsSigned(StoredCheckpoint checkpoint) =>
            CheckpointSigner.TryVerify(checkpoint.Note, keyName, publicKey, out var note)
            && note is not null && note.Origin == $"{keyName}/{tenant}" && note.Size == checkpoint.Size && note.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash);

        private void OnNode(int level, long index, byte[] hash)
        {
            if (_nodeProblem is null && nodes.TryGetValue((level, index), out var stored) && !stored.AsSpan().SequenceEqual(hash))
            {
                var first = (index << level) + 1;
                _nodeBadSeq = first;
                _nodeProblem = $"the events {first} to {(index + 1) << level} no longer match the tree's stored hash over them: one of them was changed";
            }
        }

        /// <summary>
        /// Checks one row: on its bytes when it is in the common form and everything matches (nearly
        /// always), otherwise in full, which names what differs.
        /// </summary>
        private RowCheck Check(LogRowBlock rows, int row)
        {
            var leaf = MerkleHash.Leaf(rows.Cell(row, LogColumn.Body));
            if (leaf.AsSpan().SequenceEqual(rows.Cell(row, LogColumn.Hash)) && RowBytesCheck.Matches(rows, row, _tenantUtf8, out var targets))
            {
                // The pair is read from the columns, which match the body, when the appender adds it.
                return new RowCheck(leaf, null, targets, null) { PairInColumns = !rows.IsNull(row, LogColumn.ActorEmail) };
            }

            return Check(rows.ToStoredRow(row), leaf);
        }

        private RowCheck Check(StoredRow row, byte[] leaf)
        {
            if (row.SeqColumn != row.Seq)
            {
                return new RowCheck(leaf, $"the event stored at seq {row.Seq} says {row.SeqColumn} in its seq column: events were moved", 0, null);
            }

            if (!row.TenantColumnMatches)
            {
                return new RowCheck(leaf, $"event {row.Seq}'s tenant column names another tenant", 0, null);
            }

            if (!leaf.AsSpan().SequenceEqual(row.Hash))
            {
                return new RowCheck(leaf, $"event {row.Seq} was changed: its bytes no longer match its hash", 0, null);
            }

            AuditEvent e;
            try
            {
                e = CanonicalEvent.ReadWithoutFreeForm(row.Body);
                if (e.Type is LogTypes.WebhookFailure or LogTypes.IntegrationFailure)
                {
                    // Failure logs' search text includes their metadata (EventIndexKeys), so it is read for them.
                    e = CanonicalEvent.Read(row.Body);
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                return new RowCheck(leaf, $"event {row.Seq} is not a readable event", 0, null);
            }

            if (e.Seq != row.Seq)
            {
                return new RowCheck(leaf, $"the event stored at seq {row.Seq} is event {e.Seq}: events were moved", 0, null);
            }

            if (e.Tenant != tenant)
            {
                return new RowCheck(leaf, $"event {row.Seq} belongs to tenant '{e.Tenant}'", 0, null);
            }

            if (e.Id != row.Id)
            {
                return new RowCheck(leaf, $"event {row.Seq}'s id column differs from its body", 0, null);
            }

            var keys = EventIndexKeys.From(e);
            var column = keys.FirstDifference(row.Keys);
            if (column is not null)
            {
                return new RowCheck(leaf, $"event {row.Seq}'s '{column}' column differs from its body", 0, null);
            }

            ulong targets = 0;
            foreach (var (type, id) in keys.Targets.Distinct())
            {
                targets += ChainVerifier.TargetDigest(row.Seq, type, id);
            }

            return new RowCheck(leaf, null, targets, keys.ActorEmail is { } email ? (email, keys.ActorId ?? "") : null);
        }

        private ChainVerification Bad(long? seq, string problem) => ChainVerification.Bad(_frontier.Size, seq, problem, CheckpointsChecked);
    }

    /// <summary>A block of rows on its way through the stages, with its checks once a checker has made them.</summary>
    private sealed record CheckedBlock(LogRowBlock Block)
    {
        public TaskCompletionSource<RowCheck[]> Checks { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal readonly record struct RowCheck(byte[] Leaf, string? Problem, ulong TargetDigest, (string Email, string ActorId)? EmailPair)
    {
        /// <summary>The row's actor_email and actor_id columns hold its (email, actor id) pair, checked against its body.</summary>
        public bool PairInColumns { get; init; }
    }

    /// <summary>
    /// The distinct (email, actor id) pairs of the log's events, each with the first seq that carries it,
    /// kept as UTF-8 so that rows checked on their bytes add theirs without making strings.
    /// </summary>
    internal sealed class EmailPairSet
    {
        private const byte Separator = 0xFF; // never part of UTF-8
        private readonly Dictionary<byte[], long> _first = new(Utf8KeyComparer.Instance);
        private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

        public EmailPairSet() => _lookup = _first.GetAlternateLookup<ReadOnlySpan<byte>>();

        public void Add(ReadOnlySpan<byte> email, ReadOnlySpan<byte> actorId, long seq)
        {
            var size = email.Length + 1 + actorId.Length;
            var key = size <= 512 ? stackalloc byte[size] : new byte[size];
            email.CopyTo(key);
            key[email.Length] = Separator;
            actorId.CopyTo(key[(email.Length + 1)..]);
            _lookup.TryAdd(key, seq);
        }

        public void Add(string email, string actorId, long seq) => Add(Encoding.UTF8.GetBytes(email), Encoding.UTF8.GetBytes(actorId), seq);

        /// <summary>The pairs in the order they first appeared in the log.</summary>
        public IEnumerable<((string Email, string ActorId) Pair, long Seq)> All() =>
            _first.Select(p =>
            {
                var split = Array.IndexOf(p.Key, Separator);
                return ((Encoding.UTF8.GetString(p.Key, 0, split), Encoding.UTF8.GetString(p.Key, split + 1, p.Key.Length - split - 1)), p.Value);
            });

        private sealed class Utf8KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
        {
            public static readonly Utf8KeyComparer Instance = new();

            public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

            public int GetHashCode(byte[] key) => GetHashCode((ReadOnlySpan<byte>)key);

            public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

            public int GetHashCode(ReadOnlySpan<byte> alternate)
            {
                var hash = default(HashCode);
                hash.AddBytes(alternate);
                return hash.ToHashCode();
            }

            public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
        }
    }
}
