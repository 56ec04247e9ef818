using System.Numerics;
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

    private const int Chunk = 4096;
    private const int BlocksInFlight = 6;

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
        var outside = new List<StoredCheckpoint>();
        foreach (var text in outsideNotes)
        {
            if (!keys.TryVerify(text, keyName, out var note, out _) || note is null)
            {
                var size = SizeInNote(text);
                return ChainVerification.Bad(snapshot.Head?.Size ?? 0, null,
                    $"the checkpoint given{(size is null ? "" : $" at size {size}")} {keys.WhyUnsigned(text)}", 0) with { CheckpointSize = size };
            }

            if (note.Origin != Checkpoints.LogOrigins.Tenant(keyName, tenant))
            {
                return ChainVerification.Bad(snapshot.Head?.Size ?? 0, null,
                    $"the checkpoint given at size {note.Size} is of the log '{note.Origin}', not of tenant '{tenant}' ('{Checkpoints.LogOrigins.Tenant(keyName, tenant)}')", 0) with { CheckpointSize = note.Size };
            }

            outside.Add(new StoredCheckpoint(note.Size, note.RootHash, text, default));
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
        var (prefixCheckpoints, prefixProblem) = await CheckPurgedCheckpointsAsync(snapshot, purged, anchors, nodes, outsideSet, ct);
        if (prefixProblem is not null)
        {
            return prefixProblem with { Purged = purged };
        }

        var state = new State(tenant, [.. anchors.Where(c => c.Size > purged)], outsideSet, nodes, keys, keyName, start, prefixCheckpoints);
        var result = await RecomputeAsync(snapshot, state, purged, ct)
            ?? CheckCheckpointChain(state, checkpoints, snapshot)
            ?? CheckStoredNodes(state, nodes, purged)
            ?? ChainVerification.Good(state.Size, state.CheckpointsChecked);
        return result with { Purged = purged, OutsideCheckpoints = outside.Count };
    }

    /// <summary>The size line of a note's body, to name a checkpoint whose signature does not verify.</summary>
    private static long? SizeInNote(string text)
    {
        var lines = text.Split('\n');
        return lines.Length > 1 && long.TryParse(lines[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;
    }

    /// <summary>
    /// The checkpoint rows form a chain: each names the size of the one signed before it, and the head
    /// names the latest. A row removed from the middle or the end breaks it, and the break names its size.
    /// </summary>
    private ChainVerification? CheckCheckpointChain(State state, List<StoredCheckpoint> checkpoints, ILogSnapshot snapshot)
    {
        long previous = 0;
        var previousKey = 0;
        foreach (var checkpoint in checkpoints)
        {
            // Signatures were checked already; a key older than the one before means a retired key signed later.
            var key = keys.ClaimedPosition(checkpoint.Note) ?? previousKey;
            if (key < previousKey)
            {
                return state.BadCheckpoint(checkpoint.Size,
                    $"the checkpoint at size {checkpoint.Size} is signed by a key the store had retired before the checkpoint at size {previous} was signed by its successor: it was signed by an instance with an old key, or inserted");
            }

            previousKey = key;
            if (checkpoint.PreviousSize is { } named && named != previous)
            {
                return named > previous
                    ? state.BadCheckpoint(named, $"the checkpoint at size {named} is missing: the one at size {checkpoint.Size} was signed after it")
                    : state.BadCheckpoint(previous, $"the checkpoint at size {previous} was not signed by this server between size {named} and size {checkpoint.Size}: it was inserted or its row changed");
            }

            previous = checkpoint.Size;
        }

        return snapshot.LastCheckpointSize is { } last && last != previous
            ? last > previous
                ? state.BadCheckpoint(last, $"the checkpoint at size {last} is missing: the log's head records it as the latest one signed")
                : state.BadCheckpoint(previous, $"the log's head records size {last} as its latest checkpoint, but one at size {previous} is stored")
            : null;
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

    private async Task<ChainVerification?> RecomputeAsync(ILogSnapshot snapshot, State state, long purged, CancellationToken ct)
    {
        var tenant = state.Tenant;

        // One worker per core and nothing else, so that no stage waits for the thread pool to grow: each
        // worker takes a free block, fills it with the next rows from the store (one worker at a time,
        // which also numbers the block), hashes and checks its rows (leaf hashes, index columns, and the
        // subtrees the leaves make) while the other reads, then appends to the tree, in log order, every
        // checked block that is next (the append is short beside the check). The first worker sums the
        // target index before it takes blocks.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var free = Channel.CreateUnbounded<CheckedBlock>();
        for (var i = 0; i < BlocksInFlight; i++)
        {
            free.Writer.TryWrite(new CheckedBlock(Chunk));
        }

        var rows = snapshot.OpenLogRows(purged + 1, stop.Token);
        using var reading = new SemaphoreSlim(1, 1);
        var done = false;
        long filled = 0;
        var appending = new object();
        var ready = new CheckedBlock?[BlocksInFlight];
        long appended = 0;
        ChainVerification? problem = null;
        ulong storedTargets = 0;
        async Task WorkAsync(int worker)
        {
            try
            {
                if (worker == 0)
                {
                    storedTargets = await StoredTargetDigestAsync(snapshot, stop.Token);
                }

                while (true)
                {
                    var block = await free.Reader.ReadAsync(stop.Token);
                    await reading.WaitAsync(stop.Token);
                    try
                    {
                        if (done || !await rows.FillAsync(block.Rows, stop.Token))
                        {
                            done = true;
                            free.Writer.TryWrite(block);
                            return;
                        }

                        block.Number = filled++;
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

                    state.Check(block);
                    bool stopped;
                    lock (appending)
                    {
                        // Blocks in flight have consecutive numbers, so each has a slot of its own.
                        ready[block.Number % BlocksInFlight] = block;
                        while (problem is null && ready[appended % BlocksInFlight] is { } next && next.Number == appended)
                        {
                            ready[appended % BlocksInFlight] = null;
                            problem = state.Append(next);
                            appended++;
                            free.Writer.TryWrite(next);
                        }

                        stopped = problem is not null;
                    }

                    if (stopped)
                    {
                        // Stops the other workers: nothing after the first problem is needed.
                        await stop.CancelAsync();
                        return;
                    }
                }
            }
            catch
            {
                // A failed worker stops the others, which would otherwise wait for its block.
                await stop.CancelAsync();
                throw;
            }
        }

        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(worker => Task.Run(() => WorkAsync(worker), stop.Token)).ToArray();
        var all = Task.WhenAll(workers);
        try
        {
            await all;
        }
        catch (OperationCanceledException) when (problem is not null)
        {
        }
        catch (Exception) when (all.Exception?.InnerExceptions.Any(e => e is LogSnapshotMovedException) == true)
        {
            // The worker that found it stopped the others, which then report their cancellation.
            throw new LogSnapshotMovedException();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => Task.WhenAny(w)));
            await rows.DisposeAsync();
        }

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
    /// Checks the signed checkpoints of the purged prefix: each signature, and each root recomputed
    /// from the kept hashes (stored nodes, plus the leaf hashes retention keeps for blocks where a
    /// checkpoint ends). Returns how many were checked, or the problem found.
    /// </summary>
    private async Task<(int Checked, ChainVerification? Problem)> CheckPurgedCheckpointsAsync(
        ILogSnapshot snapshot, long purged, List<StoredCheckpoint> checkpoints, Dictionary<(int, long), byte[]> nodes, HashSet<object> outside, CancellationToken ct)
    {
        var hasher = new SubtreeHasher(new KeptHashes(nodes, snapshot));
        var count = 0;
        foreach (var checkpoint in checkpoints.Where(c => c.Size <= purged))
        {
            if (!IsSigned(checkpoint))
            {
                return (count, ChainVerification.Bad(purged, null, $"the checkpoint at size {checkpoint.Size} {keys.WhyUnsigned(checkpoint.Note)}", count) with { CheckpointSize = checkpoint.Size });
            }

            byte[] root;
            try
            {
                root = await hasher.HashAsync(0, checkpoint.Size, ct);
            }
            catch (PurgedLeavesException)
            {
                return (count, ChainVerification.Bad(purged, null, $"the leaf hashes retention keeps for the checkpoint at size {checkpoint.Size} are missing", count) with { CheckpointSize = checkpoint.Size });
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                var whose = outside.Contains(checkpoint) ? "kept outside" : "signed";
                return (count, ChainVerification.Bad(purged, null, $"the hashes kept for the purged events no longer match the checkpoint {whose} at size {checkpoint.Size}", count) with { CheckpointSize = checkpoint.Size });
            }

            count += outside.Contains(checkpoint) ? 0 : 1;
        }

        return (count, null);
    }

    private bool IsSigned(StoredCheckpoint checkpoint) =>
        keys.TryVerify(checkpoint.Note, keyName, out var note, out _)
        && note is not null && note.Size == checkpoint.Size && note.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash);

    /// <summary>The stored nodes already read for verification, and the store's leaf hashes (retained events and kept purged blocks).</summary>
    private sealed class KeptHashes(Dictionary<(int, long), byte[]> nodes, ILogSnapshot snapshot) : INodeSource
    {
        public ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct) => ValueTask.FromResult(nodes.GetValueOrDefault((level, index)));

        public ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) => snapshot.GetLeafHashesAsync(start, count, ct);
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
        string tenant, List<StoredCheckpoint> checkpoints, HashSet<object> outside, Dictionary<(int, long), byte[]> nodes, CheckpointKeys keys, string keyName, MerkleFrontier start, int checkedBefore)
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
                if (!IsSigned(checkpoint))
                {
                    return BadCheckpoint(checkpoint.Size, $"the checkpoint at size {checkpoint.Size} {keys.WhyUnsigned(checkpoint.Note)}");
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
            if (!IsSigned(checkpoint))
            {
                return BadCheckpoint(checkpoint.Size, $"the checkpoint at size {checkpoint.Size} {keys.WhyUnsigned(checkpoint.Note)}");
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

        /// <summary>The note verifies with the server's key, is of this tenant's log, and says what the stored columns say.</summary>
        private bool IsSigned(StoredCheckpoint checkpoint) =>
            keys.TryVerify(checkpoint.Note, keyName, out var note, out _)
            && note is not null && note.Origin == Checkpoints.LogOrigins.Tenant(keyName, tenant) && note.Size == checkpoint.Size && note.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash);

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
            MerkleHash.Leaf(rows.Cell(row, LogColumn.Body), leaf);
            if (leaf.SequenceEqual(rows.Cell(row, LogColumn.Hash)) && RowBytesCheck.Matches(rows, row, _tenantUtf8, out var targets))
            {
                // The pair is read from the columns, which match the body, when the appender adds it.
                return new RowCheck(null, targets, null) { PairInColumns = !rows.IsNull(row, LogColumn.ActorEmail) };
            }

            return Check(rows.ToStoredRow(row), leaf);
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
                return new RowCheck($"event {row.Seq} was changed: its bytes no longer match its hash", 0, null);
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

            ulong targets = 0;
            foreach (var (type, id) in keys.Targets.Distinct())
            {
                targets += ChainVerifier.TargetDigest(row.Seq, type, id);
            }

            return new RowCheck(null, targets, keys.ActorEmail is { } email ? (email, keys.ActorId ?? "") : null);
        }

        private ChainVerification Bad(long? seq, string problem) => ChainVerification.Bad(_frontier.Size, seq, problem, CheckpointsChecked);

        /// <summary>A failure found after the recomputation, at <paramref name="seq"/>.</summary>
        public ChainVerification BadAt(long seq, string problem) => Bad(seq, problem);

        /// <summary>A failure of the checkpoint at <paramref name="size"/>.</summary>
        public ChainVerification BadCheckpoint(long size, string problem) => Bad(null, problem) with { CheckpointSize = size };
    }

    /// <summary>
    /// A block of rows on its way through the stages, with what a worker made of them: each row's leaf
    /// hash and check, and the perfect subtrees of the leaves. Reused from start to end.
    /// </summary>
    internal sealed class CheckedBlock(int capacity)
    {
        public LogRowBlock Rows { get; } = new(capacity);

        /// <summary>Row i's leaf hash at [32·i, 32·i + 32).</summary>
        public byte[] Leaves { get; } = new byte[capacity * MerkleHash.Size];

        public RowCheck[] Checks { get; } = new RowCheck[capacity];

        /// <summary>
        /// The (level, root) of the perfect subtrees the leaves make, in log order; empty when the block is
        /// to be appended leaf by leaf (a row failed, rows do not follow each other, or a stored node differs).
        /// </summary>
        public List<(int Level, byte[] Root)> Subtrees { get; } = [];

        /// <summary>Room for hashing a subtree's levels in place.</summary>
        public byte[] Scratch { get; } = new byte[capacity * MerkleHash.Size];

        /// <summary>The block's place among the blocks filled, from 0.</summary>
        public long Number { get; set; }

        public Span<byte> Leaf(int row) => Leaves.AsSpan(row * MerkleHash.Size, MerkleHash.Size);
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
