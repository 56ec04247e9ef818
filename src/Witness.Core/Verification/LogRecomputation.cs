using System.Numerics;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// The recomputation of a tenant's log from its rows, block by block as <see cref="BlockScheduler"/> hands them over:
/// each row checked (<see cref="RowChecks"/>), the leaves hashed into perfect subtrees beside other blocks, appended
/// in log order to the frontier, and the stored nodes and signed checkpoints met on the way compared.
/// <c>outside</c> holds those of the checkpoints that were given from outside the store.
/// </summary>
internal sealed class LogRecomputation(
    string tenant, List<StoredCheckpoint> checkpoints, HashSet<object> outside, Dictionary<(int, long), byte[]> nodes, CheckpointChecks checks, MerkleFrontier start, int checkedBefore)
{
    private readonly MerkleFrontier _frontier = start;
    private readonly RowChecks _rows = new(tenant);
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
            block.Checks[i] = _rows.Check(rows, i, block.Leaf(i));
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
            if (checks.Unsigned(checkpoint) is { } unsigned)
            {
                return BadCheckpoint(checkpoint.Size, unsigned);
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
        if (checks.Unsigned(checkpoint) is { } unsigned)
        {
            return BadCheckpoint(checkpoint.Size, unsigned);
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

    private ChainVerification Bad(long? seq, string problem) => ChainVerification.Bad(_frontier.Size, seq, problem, CheckpointsChecked);

    /// <summary>A failure found after the recomputation, at <paramref name="seq"/>.</summary>
    public ChainVerification BadAt(long seq, string problem) => Bad(seq, problem);

    /// <summary>A failure of the checkpoint at <paramref name="size"/>.</summary>
    public ChainVerification BadCheckpoint(long size, string problem) => Bad(null, problem) with { CheckpointSize = size };
}
