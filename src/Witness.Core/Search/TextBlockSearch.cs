using Witness.Storage;

namespace Witness.Search;

/// <summary>The seq range and <c>occurred_at</c> range (microseconds) of a stored free-text block, or of events not yet in one.</summary>
public sealed record TextBlockRange(long FirstSeq, long LastSeq, long MinOccurredMicros, long MaxOccurredMicros)
{
    /// <summary>Events no block covers yet (stored before the index existed): read whatever their time.</summary>
    public static TextBlockRange Unindexed(long firstSeq, long lastSeq) => new(firstSeq, lastSeq, long.MinValue, long.MaxValue);
}

/// <summary>
/// The first page of a free-text search from candidate blocks, written once for every store: blocks
/// are read newest <c>occurred_at</c> first, a few at a time (more each round), their rows checked by
/// the store with the search's own conditions; reading stops once a page is full and every block
/// left ends before the page's last row. The page is the same, row for row, as the scan's.
/// </summary>
public static class TextBlockSearch
{
    /// <summary>
    /// Whether the index is worth reading: when most of the tenant's blocks are candidates (a common
    /// term), the scan finds a page as fast and the candidate list is only overhead.
    /// </summary>
    public static bool IsSelective(int candidates, long tenantBlocks) => candidates <= 16 || candidates * 2L <= tenantBlocks;

    /// <summary>
    /// How many of a tenant's newest blocks a store checks first: a term in more than half of them is
    /// common, and the scan finds its first page sooner than the whole candidate list is read.
    /// </summary>
    public const int SampleBlocks = 128;

    /// <summary>
    /// The seq ranges of <paramref name="ranges"/> in seq order, ranges that follow one another or overlap joined
    /// into one: what a count reads, each run in one stretch of the store's seq order.
    /// </summary>
    public static List<(long First, long Last)> SeqRuns(IEnumerable<TextBlockRange> ranges)
    {
        var runs = new List<(long First, long Last)>();
        foreach (var range in ranges.OrderBy(r => r.FirstSeq))
        {
            if (runs.Count > 0 && range.FirstSeq <= runs[^1].Last + 1)
            {
                runs[^1] = (runs[^1].First, Math.Max(runs[^1].Last, range.LastSeq));
            }
            else
            {
                runs.Add((range.FirstSeq, range.LastSeq));
            }
        }

        return runs;
    }

    /// <summary>
    /// Reads the page. <paramref name="readRows"/> returns, for a batch of ranges, the matching rows in
    /// search order (<c>occurred_at</c> desc, seq desc), at most the count it is given.
    /// </summary>
    public static async Task<EventPage> PageAsync(
        IReadOnlyList<TextBlockRange> candidates,
        int limit,
        Func<IReadOnlyList<TextBlockRange>, int, CancellationToken, Task<IReadOnlyList<(long OccurredMicros, StoredEvent Event)>>> readRows,
        CancellationToken ct)
    {
        var wanted = limit + 1;
        var ordered = candidates.OrderByDescending(b => b.MaxOccurredMicros).ThenByDescending(b => b.LastSeq).ToList();
        var best = new List<(long OccurredMicros, StoredEvent Event)>(wanted);
        var next = 0;
        var batch = 4;
        while (next < ordered.Count)
        {
            if (best.Count == wanted && ordered[next].MaxOccurredMicros < best[^1].OccurredMicros)
            {
                break;
            }

            var take = ordered.Skip(next).Take(batch).ToList();
            next += take.Count;
            batch = Math.Min(batch * 2, 64);
            var rows = await readRows(take, wanted, ct);
            if (rows.Count == 0)
            {
                continue;
            }

            best.AddRange(rows);
            best.Sort(static (a, b) => a.OccurredMicros != b.OccurredMicros ? b.OccurredMicros.CompareTo(a.OccurredMicros) : b.Event.Seq.CompareTo(a.Event.Seq));
            if (best.Count > wanted)
            {
                best.RemoveRange(wanted, best.Count - wanted);
            }
        }

        if (best.Count <= limit)
        {
            return new EventPage([.. best.Select(r => r.Event)], null);
        }

        var last = best[limit - 1];
        return new EventPage([.. best.Take(limit).Select(r => r.Event)], new EventCursor(last.OccurredMicros, last.Event.Seq));
    }
}
