using System.Text;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// The checks of what a store keeps beside the log's rows, once the log is recomputed: the stored subtree hashes,
/// the target index, and the rows and indexes the store keeps in its own layout.
/// </summary>
internal static class IndexChecks
{
    /// <summary>Stores keep every completed node from <see cref="MerkleNodes.StoredLevel"/> up: one missing, or one over events the log does not hold, is a failure.</summary>
    public static ChainVerification? CheckStoredNodes(LogRecomputation state, Dictionary<(int, long), byte[]> nodes, long purged)
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

    /// <summary>
    /// What the store keeps beside rows and targets: no row of the tenant lies outside its log, and what the store
    /// keeps in its own layout (SQLite: the email index) holds exactly what the log's events carry (<see cref="ILogSnapshot.CheckLayoutAsync"/>).
    /// </summary>
    public static async Task<ChainVerification?> CheckLayoutAsync(ILogSnapshot snapshot, LogRecomputation state, long purged, CancellationToken ct)
    {
        var rows = await snapshot.CountEventRowsAsync(ct);
        if (rows != state.Size - purged)
        {
            return ChainVerification.Bad(state.Size, state.Size + 1,
                $"the store holds {rows} rows of this tenant but its log holds {state.Size - purged}: rows were inserted outside the log", state.CheckpointsChecked);
        }

        return await snapshot.CheckLayoutAsync(state.EmailPairs.All(), ct) is { } problem
            ? ChainVerification.Bad(state.Size, problem.Seq, problem.Problem, state.CheckpointsChecked)
            : null;
    }

    public static async Task<ulong> StoredTargetDigestAsync(ILogSnapshot snapshot, CancellationToken ct)
    {
        ulong stored = 0;
        await snapshot.VisitTargetRowsAsync((seq, type, id) => stored += TargetDigest(seq, type, id), ct);
        return stored;
    }

    /// <summary>The target index against the events' targets: the stored rows' digest (<see cref="StoredTargetDigestAsync"/>) against the one summed while checking.</summary>
    public static async Task<ChainVerification?> CheckTargetsAsync(ILogSnapshot snapshot, LogRecomputation state, ulong storedDigest, CancellationToken ct)
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
    public static ulong TargetDigest(long seq, string type, string id)
    {
        Span<byte> utf8 = stackalloc byte[512];
        var size = Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(id);
        var bytes = size <= utf8.Length ? utf8 : new byte[size];
        var typeLength = Encoding.UTF8.GetBytes(type, bytes);
        var idLength = Encoding.UTF8.GetBytes(id, bytes[typeLength..]);
        return TargetDigest(seq, bytes[..typeLength], bytes.Slice(typeLength, idLength));
    }

    /// <inheritdoc cref="TargetDigest(long, string, string)"/>
    public static ulong TargetDigest(long seq, ReadOnlySpan<byte> type, ReadOnlySpan<byte> id)
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
}
