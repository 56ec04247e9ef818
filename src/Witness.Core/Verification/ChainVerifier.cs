using System.Numerics;
using System.Security.Cryptography;
using System.Text;
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
/// signature), and the committed head. Names the first seq that does not match. Each checkpoint verifies under
/// the key it names among <see cref="CheckpointKeys"/> (the store's registered keys that the verifier's own key
/// vouches for), and along the log the keys only ever move on to newer ones.
/// </summary>
public sealed class ChainVerifier(IWitnessStore store, CheckpointKeys keys, string keyName)
{
    /// <summary>A verifier that trusts <paramref name="publicKey"/> alone.</summary>
    public ChainVerifier(IWitnessStore store, ECDsa publicKey, string keyName)
        : this(store, CheckpointKeys.Single(publicKey), keyName)
    {
    }

    /// <summary>Verifies the tenant's log as of one snapshot of the store (<see cref="ILogSnapshot"/>): events that arrive meanwhile are not part of it.</summary>
    public Task<ChainVerification> VerifyAsync(string tenant, CancellationToken ct) => VerifyAsync(tenant, [], ct);

    /// <summary>
    /// Verifies the tenant's log as of one snapshot of the store, and that it is a consistent extension of
    /// each of <paramref name="outsideNotes"/>: signed checkpoints kept outside the database (as served by
    /// <c>/v1/checkpoints/latest</c>). Only they reveal a tail cut off by someone who can write the database.
    /// </summary>
    public async Task<ChainVerification> VerifyAsync(string tenant, IReadOnlyList<string> outsideNotes, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await VerifySnapshotAsync(tenant, outsideNotes, ct);
            }
            catch (LogSnapshotMovedException) when (attempt < 5)
            {
                // The log grew while its snapshot was being shared (a store that could not pin it): a new snapshot will do.
            }
        }
    }

    private async Task<ChainVerification> VerifySnapshotAsync(string tenant, IReadOnlyList<string> outsideNotes, CancellationToken ct)
    {
        await using var snapshot = await store.OpenSnapshotAsync(tenant, ct);
        var checks = new CheckpointChecks(keys, keyName, tenant);
        var outside = new List<StoredCheckpoint>();
        if (checks.ReadOutside(outsideNotes, snapshot.Head?.Size ?? 0, outside) is { } unsigned)
        {
            return unsigned;
        }

        var checkpoints = new List<StoredCheckpoint>();
        await foreach (var checkpoint in snapshot.ReadCheckpointsAsync(ct))
        {
            checkpoints.Add(checkpoint);
        }

        var nodes = new Dictionary<(int, long), byte[]>();
        await foreach (var (level, index, hash) in snapshot.ReadNodesAsync(ct))
        {
            nodes[(level, index)] = hash;
        }

        // After retention the log starts after its purged prefix: the recomputation starts from the
        // prefix's compact range (stored nodes) instead of the empty tree.
        var purged = snapshot.PurgedThrough;
        var start = RetentionBlocks.PrefixFrontier(purged, (level, index) => nodes.GetValueOrDefault((level, index)));
        if (start is null)
        {
            return ChainVerification.Bad(purged, purged + 1, $"the stored hashes that stand for the {purged} purged events are missing", 0) with { Purged = purged };
        }

        var anchors = checkpoints.Concat(outside).OrderBy(c => c.Size).ToList();
        var outsideSet = new HashSet<object>(outside, ReferenceEqualityComparer.Instance);
        var (prefixCheckpoints, prefixProblem) = await checks.CheckPurgedAsync(snapshot, purged, anchors, nodes, outsideSet, ct);
        if (prefixProblem is not null)
        {
            return prefixProblem with { Purged = purged };
        }

        var state = new State(tenant, [.. anchors.Where(c => c.Size > purged)], outsideSet, nodes, checks, start, prefixCheckpoints);
        var result = await RecomputeAsync(snapshot, state, purged, ct)
            ?? checks.CheckChain(checkpoints, snapshot.LastCheckpointSize, state.BadCheckpoint)
            ?? CheckStoredNodes(state, nodes, purged)
            ?? ChainVerification.Good(state.Size, state.CheckpointsChecked);
        return result with { Purged = purged, OutsideCheckpoints = outside.Count };
    }

    /// <summary>Stores keep every completed node from <see cref="MerkleNodes.StoredLevel"/> up: one missing, or one over events the log does not hold, is a failure.</summary>
    private static ChainVerification? CheckStoredNodes(State state, Dictionary<(int, long), byte[]> nodes, long purged)
    {
        var size = state.Size;
        long expected = 0;
        for (var level = MerkleNodes.StoredLevel; level < 63 && (size >> level) > 0; level++)
        {
            expected += size >> level;
        }

        var beyond = nodes.Keys.Where(k => k.Item1 < MerkleNodes.StoredLevel || k.Item1 >= 63 || ((k.Item2 + 1) << k.Item1) > size).Order().FirstOrDefault();
        if (beyond != default)
        {
            var (level, index) = beyond;
            var first = (index << level) + 1;
            return level >= MerkleNodes.StoredLevel && first > size
                ? state.BadAt(size + 1, $"a stored tree hash covers events {first} to {(index + 1) << level}, but the log holds {size}: events after {size} were removed")
                : state.BadAt(first, $"a stored tree hash (level {level}, index {index}) is not one the log keeps");
        }

        if (nodes.Count == expected)
        {
            return null;
        }

        for (var level = MerkleNodes.StoredLevel; (size >> level) > 0; level++)
        {
            for (long index = 0; index < size >> level; index++)
            {
                if (!nodes.ContainsKey((level, index)))
                {
                    var first = (index << level) + 1;
                    return state.BadAt(first, $"the stored tree hash over events {first} to {(index + 1) << level} is missing");
                }
            }
        }

        return null;
    }

    private static async Task<ChainVerification?> RecomputeAsync(ILogSnapshot snapshot, State state, long purged, CancellationToken ct)
    {
        ulong storedTargets = 0;
        var problem = await BlockScheduler.RunAsync(
            token => snapshot.OpenLogRows(purged + 1, token),
            async token => storedTargets = await StoredTargetDigestAsync(snapshot, token),
            state.Check,
            state.Append,
            ct);
        if (problem is not null)
        {
            return problem;
        }

        var head = snapshot.Head ?? new MerkleFrontier();
        if (snapshot.SizeCounter != head.Size)
        {
            return state.BadAt(Math.Min(snapshot.SizeCounter, head.Size) + 1,
                $"the tenant's size counter (log_size) says {snapshot.SizeCounter} events but its head holds {head.Size}");
        }

        return state.Finish(head)
            ?? await CheckTargetsAsync(snapshot, state, storedTargets, ct)
            ?? await CheckLayoutAsync(snapshot, state, purged, ct);
    }

    /// <summary>
    /// What the store keeps beside rows and targets: no row of the tenant lies outside its log, and the
    /// email index (where the store keeps one) holds exactly the (email, actor id) pairs of the log's events.
    /// </summary>
    private static async Task<ChainVerification?> CheckLayoutAsync(ILogSnapshot snapshot, State state, long purged, CancellationToken ct)
    {
        var rows = await snapshot.CountEventRowsAsync(ct);
        if (rows != state.Size - purged)
        {
            return ChainVerification.Bad(state.Size, state.Size + 1,
                $"the store holds {rows} rows of this tenant but its log holds {state.Size - purged}: rows were inserted outside the log", state.CheckpointsChecked);
        }

        if (!snapshot.KeepsEmailIndex)
        {
            return null;
        }

        var stored = new HashSet<(string, string)>();
        await foreach (var pair in snapshot.ReadActorEmailsAsync(ct))
        {
            stored.Add(pair);
        }

        var carried = new HashSet<(string, string)>();
        foreach (var (pair, seq) in state.EmailPairs.All())
        {
            if (!stored.Contains(pair))
            {
                return ChainVerification.Bad(state.Size, seq,
                    $"the email index lost the pair ({pair.Email}, {pair.ActorId}) of event {seq}: searches by that email would miss events", state.CheckpointsChecked);
            }

            carried.Add(pair);
        }

        // Retention removes the pairs no remaining event carries, so every stored pair is carried by an event.
        var stray = stored.Where(p => !carried.Contains(p)).Order().FirstOrDefault();
        return stray.Item1 is null
            ? null
            : ChainVerification.Bad(state.Size, null,
                $"the email index holds the pair ({stray.Item1}, {stray.Item2}) that no event of the log carries: searches by that email would show other events", state.CheckpointsChecked);
    }

    private static async Task<ulong> StoredTargetDigestAsync(ILogSnapshot snapshot, CancellationToken ct)
    {
        ulong stored = 0;
        await snapshot.VisitTargetRowsAsync((seq, type, id) => stored += TargetDigest(seq, type, id), ct);
        return stored;
    }

    /// <summary>The target index against the events' targets: the stored rows' digest (<see cref="StoredTargetDigestAsync"/>) against the one summed while checking.</summary>
    private static async Task<ChainVerification?> CheckTargetsAsync(ILogSnapshot snapshot, State state, ulong storedDigest, CancellationToken ct)
    {
        if (storedDigest == state.TargetDigest)
        {
            return null;
        }

        // The order-free digests differ; find the first event whose target rows are not what its body says.
        var rowsBySeq = new Dictionary<long, List<(string, string)>>();
        await foreach (var (seq, type, id) in snapshot.ReadTargetRowsAsync(ct))
        {
            (rowsBySeq.TryGetValue(seq, out var list) ? list : rowsBySeq[seq] = []).Add((type, id));
        }

        await foreach (var row in snapshot.ReadLogAsync(1, ct))
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

    /// <summary>The recomputation's state; <c>outside</c> holds those of the checkpoints that were given from outside the store.</summary>
    private sealed class State(
        string tenant, List<StoredCheckpoint> checkpoints, HashSet<object> outside, Dictionary<(int, long), byte[]> nodes, CheckpointChecks checks, MerkleFrontier start, int checkedBefore)
    {
        private readonly MerkleFrontier _frontier = start;
        private readonly byte[] _tenantUtf8 = Encoding.UTF8.GetBytes(tenant);
        private readonly long[] _checkpointSizes = [.. checkpoints.Select(c => c.Size)];

        // Stores keep nodes from MerkleNodes.StoredLevel up; a node below the lowest stored level needs no lookup.
        private readonly int _lowestStoredLevel = nodes.Count == 0 ? int.MaxValue : nodes.Keys.Min(k => k.Item1);
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

        /// <summary>
        /// Hashes and checks a block's rows, and when they all pass and follow each other, hashes the perfect
        /// subtrees their leaves make (cut where a signed checkpoint ends) and checks the stored nodes inside
        /// them. Thread-safe beside other blocks' checks and <see cref="Append"/>.
        /// </summary>
        public void Check(CheckedBlock block)
        {
            var rows = block.Rows;
            var consecutive = true;
            for (var i = 0; i < rows.Count; i++)
            {
                block.Checks[i] = Check(rows, i, block.Leaf(i));
                consecutive &= block.Checks[i].Problem is null && rows.Position(i) == rows.Position(0) + i;
            }

            block.Subtrees.Clear();
            if (consecutive && !HashSubtrees(block))
            {
                block.Subtrees.Clear();
            }
        }

        /// <summary>
        /// Appends a checked block in log order: its subtrees when the worker made them and the block starts
        /// where the log has got to, else leaf by leaf; checks positions, stored hashes and checkpoints on the way.
        /// </summary>
        public ChainVerification? Append(CheckedBlock block)
        {
            var rows = block.Rows;
            if (block.Subtrees.Count == 0 || rows.Position(0) != _frontier.Size + 1)
            {
                return AppendLeaves(block);
            }

            for (var i = 0; i < rows.Count; i++)
            {
                AddIndexes(rows, i, block.Checks[i], rows.Position(i));
            }

            foreach (var (level, root) in block.Subtrees)
            {
                _frontier.AppendSubtree(level, root, _onNode ??= OnNode);
                if (AfterAppend() is { } bad)
                {
                    return bad;
                }
            }

            return null;
        }

        private ChainVerification? AppendLeaves(CheckedBlock block)
        {
            var rows = block.Rows;
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

                var check = block.Checks[i];
                if (check.Problem is not null)
                {
                    return Bad(seq, check.Problem);
                }

                AddIndexes(rows, i, check, seq);
                _frontier.Append(block.Leaf(i), _onNode ??= OnNode);
                if (AfterAppend() is { } bad)
                {
                    return bad;
                }
            }

            return null;
        }

        private void AddIndexes(LogRowBlock rows, int row, RowCheck check, long seq)
        {
            TargetDigest += check.TargetDigest;
            if (check.PairInColumns)
            {
                EmailPairs.Add(rows.Cell(row, LogColumn.ActorEmail), rows.Cell(row, LogColumn.ActorId), seq);
            }
            else if (check.EmailPair is { } pair)
            {
                EmailPairs.Add(pair.Email, pair.ActorId, seq);
            }
        }

        /// <summary>After leaves were appended: a stored node that differs, or the checkpoints that end here.</summary>
        private ChainVerification? AfterAppend()
        {
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

            return null;
        }

        /// <summary>
        /// Cuts the block's leaves into aligned perfect subtrees, largest first, also where a signed
        /// checkpoint ends (the appender compares the root there), and hashes each. False when a stored node
        /// inside one differs: the block is then appended leaf by leaf, which names the range.
        /// </summary>
        private bool HashSubtrees(CheckedBlock block)
        {
            var first = block.Rows.Position(0) - 1; // leaf index of the block's first row
            var end = first + block.Rows.Count;
            var at = first;
            while (at < end)
            {
                var next = Array.BinarySearch(_checkpointSizes, at + 1);
                next = next < 0 ? ~next : next;
                var cut = next < _checkpointSizes.Length && _checkpointSizes[next] < end ? _checkpointSizes[next] : end;
                while (at < cut)
                {
                    var level = Math.Min(at == 0 ? 62 : BitOperations.TrailingZeroCount(at), 63 - BitOperations.LeadingZeroCount((ulong)(cut - at)));
                    if (!HashSubtree(block, (int)(at - first), level, at >> level))
                    {
                        return false;
                    }

                    at += 1L << level;
                }
            }

            return true;
        }

        /// <summary>The root of the 2^level leaves from the block's row <paramref name="offset"/> on, node <paramref name="index"/> of its level, checking stored nodes on the way up.</summary>
        private bool HashSubtree(CheckedBlock block, int offset, int level, long index)
        {
            var hashes = block.Scratch.AsSpan(0, MerkleHash.Size << level);
            block.Leaves.AsSpan(offset * MerkleHash.Size, hashes.Length).CopyTo(hashes);
            for (var l = 1; l <= level; l++)
            {
                var count = 1 << (level - l);
                MerkleHash.HashLevelUp(hashes, count);
                for (var j = 0; l >= _lowestStoredLevel && j < count; j++)
                {
                    if (nodes.TryGetValue((l, (index << (level - l)) + j), out var stored) && !hashes.Slice(j * MerkleHash.Size, MerkleHash.Size).SequenceEqual(stored))
                    {
                        return false;
                    }
                }
            }

            block.Subtrees.Add((level, hashes[..MerkleHash.Size].ToArray()));
            return true;
        }

        public ChainVerification? Finish(MerkleFrontier head)
        {
            while (_nextCheckpoint < checkpoints.Count)
            {
                var checkpoint = checkpoints[_nextCheckpoint];
                if (!checks.IsSigned(checkpoint))
                {
                    return BadCheckpoint(checkpoint.Size, $"the checkpoint at size {checkpoint.Size} {checks.WhyUnsigned(checkpoint)}");
                }

                if (checkpoint.Size > _frontier.Size)
                {
                    var whose = outside.Contains(checkpoint) ? "a checkpoint kept outside" : "a signed checkpoint";
                    return Bad(_frontier.Size + 1, $"{whose} covers {checkpoint.Size} events but the log holds {_frontier.Size}: events after {_frontier.Size} were removed") with { CheckpointSize = checkpoint.Size };
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
            if (!checks.IsSigned(checkpoint))
            {
                return BadCheckpoint(checkpoint.Size, $"the checkpoint at size {checkpoint.Size} {checks.WhyUnsigned(checkpoint)}");
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                var from = _lastGoodCheckpoint + 1;
                var problem = outside.Contains(checkpoint)
                    ? $"the log is not a consistent extension of the checkpoint kept outside at size {checkpoint.Size}: history up to it was rewritten (an event from {from} to {checkpoint.Size} differs)"
                    : $"the log no longer matches the checkpoint signed at size {checkpoint.Size}: an event from {from} to {checkpoint.Size} was changed";
                return Bad(from, problem) with { CheckpointSize = checkpoint.Size };
            }

            CheckpointsChecked += outside.Contains(checkpoint) ? 0 : 1;
            _lastGoodCheckpoint = checkpoint.Size;
            return null;
        }

        private void OnNode(int level, long index, byte[] hash)
        {
            if (_nodeProblem is null && level >= _lowestStoredLevel && nodes.TryGetValue((level, index), out var stored) && !stored.AsSpan().SequenceEqual(hash))
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
        private RowCheck Check(LogRowBlock rows, int row, Span<byte> leaf)
        {
            LeafHash(rows.Cell(row, LogColumn.Body), rows.Cell(row, LogColumn.Personal), !rows.IsNull(row, LogColumn.Personal), leaf);
            if (leaf.SequenceEqual(rows.Cell(row, LogColumn.Hash)) && RowBytesCheck.Matches(rows, row, _tenantUtf8, out var targets))
            {
                // The pair is read from the columns, which match the body, when the appender adds it.
                return new RowCheck(null, targets, null) { PairInColumns = !rows.IsNull(row, LogColumn.ActorEmail) };
            }

            return Check(rows.ToStoredRow(row), leaf);
        }

        [ThreadStatic]
        private static System.Buffers.ArrayBufferWriter<byte>? t_leafBytes;

        /// <summary>The leaf hash of a row: of its body, or for leaf version 2 of its body with its personal values' commitments (all zero when the record does not fit).</summary>
        private static void LeafHash(ReadOnlySpan<byte> body, ReadOnlySpan<byte> personal, bool hasPersonal, Span<byte> leaf)
        {
            if (!hasPersonal)
            {
                MerkleHash.Leaf(body, leaf);
                return;
            }

            var bytes = t_leafBytes ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
            bytes.ResetWrittenCount();
            if (PersonalValues.TryLeaf(body, personal, true, bytes))
            {
                MerkleHash.Leaf(bytes.WrittenSpan, leaf);
            }
            else
            {
                leaf.Clear();
            }
        }

        private RowCheck Check(StoredRow row, ReadOnlySpan<byte> leaf)
        {
            if (row.SeqColumn != row.Seq)
            {
                return new RowCheck($"the event stored at seq {row.Seq} says {row.SeqColumn} in its seq column: events were moved", 0, null);
            }

            if (!row.TenantColumnMatches)
            {
                return new RowCheck($"event {row.Seq}'s tenant column names another tenant", 0, null);
            }

            if (!leaf.SequenceEqual(row.Hash))
            {
                return row.Personal is null
                    ? new RowCheck($"event {row.Seq} was changed: its bytes no longer match its hash", 0, null)
                    : new RowCheck($"event {row.Seq} was changed: its bytes with its personal record (the salts or commitments of its personal values) no longer match its hash", 0, null);
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
                return new RowCheck($"event {row.Seq} is not a readable event", 0, null);
            }

            if (e.Seq != row.Seq)
            {
                return new RowCheck($"the event stored at seq {row.Seq} is event {e.Seq}: events were moved", 0, null);
            }

            if (e.Tenant != tenant)
            {
                return new RowCheck($"event {row.Seq} belongs to tenant '{e.Tenant}'", 0, null);
            }

            if (e.Id != row.Id)
            {
                return new RowCheck($"event {row.Seq}'s id column differs from its body", 0, null);
            }

            var keys = EventIndexKeys.From(e);
            var column = keys.FirstDifference(row.Keys);
            if (column is not null)
            {
                return new RowCheck($"event {row.Seq}'s '{column}' column differs from its body", 0, null);
            }

            if (!row.IdIndexed)
            {
                return new RowCheck($"event {row.Seq} is missing from the id index (event_ids) or listed there under another id: a retry with its id would be stored again", 0, null);
            }

            if (row.ClientOmitted is { } omitted && !ContentDigestMatches(row, omitted))
            {
                return new RowCheck(
                    $"event {row.Seq}'s content_digest column differs from the digest of what its client sent (its body without the fields client_omitted says the server filled): a retry with its id would be judged against another body", 0, null);
            }

            ulong targets = 0;
            foreach (var (type, id) in keys.Targets.Distinct())
            {
                targets += ChainVerifier.TargetDigest(row.Seq, type, id);
            }

            return new RowCheck(null, targets, keys.ActorEmail is { } email ? (email, keys.ActorId ?? "") : null);
        }

        private static bool ContentDigestMatches(StoredRow row, ClientOmitted omitted)
        {
            try
            {
                return row.ContentDigest is { } digest && ClientContent.Matches(row.Body, omitted, digest);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                return false;
            }
        }

        private ChainVerification Bad(long? seq, string problem) => ChainVerification.Bad(_frontier.Size, seq, problem, CheckpointsChecked);

        /// <summary>A failure found after the recomputation, at <paramref name="seq"/>.</summary>
        public ChainVerification BadAt(long seq, string problem) => Bad(seq, problem);

        /// <summary>A failure of the checkpoint at <paramref name="size"/>.</summary>
        public ChainVerification BadCheckpoint(long size, string problem) => Bad(null, problem) with { CheckpointSize = size };
    }

    internal readonly record struct RowCheck(string? Problem, ulong TargetDigest, (string Email, string ActorId)? EmailPair)
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
