namespace Witness.Search;

/// <summary>
/// A run of consecutive events of one tenant, appended in one transaction, indexed as one unit for
/// free text: the distinct trigrams of their search text (<see cref="TextTrigrams"/>), their seq range
/// and the range of their <c>occurred_at</c> (microseconds since the Unix epoch). A search reads the
/// rows of the blocks that hold every trigram of its terms and checks them as a scan would.
/// </summary>
public sealed record TextBlock(long FirstSeq, long LastSeq, long MinOccurredMicros, long MaxOccurredMicros, int[] Trigrams)
{
    /// <summary>The events a block holds at most unless a store is told otherwise.</summary>
    public const int DefaultMaxEvents = 64;
}

/// <summary>
/// Collects the events of one tenant appended in one transaction and cuts them into <see cref="TextBlock"/>s
/// of at most <c>maxEvents</c> events. Events must be added in seq order without gaps.
/// </summary>
public sealed class TextBlockBuilder(int maxEvents)
{
    private readonly HashSet<int> _trigrams = new(4096);
    private readonly List<TextBlock> _completed = [];
    private long _firstSeq;
    private long _lastSeq;
    private long _minOccurred;
    private long _maxOccurred;
    private int _events;

    /// <summary>The blocks completed so far, in seq order; <see cref="Complete"/> adds the open one.</summary>
    public IReadOnlyList<TextBlock> Blocks => _completed;

    /// <summary>Adds one event: its seq, occurred_at in microseconds and lower-case search text.</summary>
    public void Add(long seq, long occurredMicros, string searchText)
    {
        if (_events > 0 && seq != _lastSeq + 1)
        {
            Complete();
        }

        if (_events == 0)
        {
            _firstSeq = seq;
            _minOccurred = occurredMicros;
            _maxOccurred = occurredMicros;
        }

        _lastSeq = seq;
        _minOccurred = Math.Min(_minOccurred, occurredMicros);
        _maxOccurred = Math.Max(_maxOccurred, occurredMicros);
        TextTrigrams.Add(searchText, _trigrams);
        if (++_events >= maxEvents)
        {
            Complete();
        }
    }

    /// <summary>Closes the open block, if any.</summary>
    public void Complete()
    {
        if (_events == 0)
        {
            return;
        }

        var trigrams = _trigrams.ToArray();
        Array.Sort(trigrams);
        _completed.Add(new TextBlock(_firstSeq, _lastSeq, _minOccurred, _maxOccurred, trigrams));
        _trigrams.Clear();
        _events = 0;
    }
}

/// <summary>Which stored blocks an erasure must write again.</summary>
public static class TextBlocksHolding
{
    /// <summary>
    /// The blocks, given by id and seq range in growing seq order, that hold at least one of <paramref name="seqs"/>
    /// (ascending): one walk over both lists.
    /// </summary>
    public static List<(long Id, long First, long Last)> Seqs(IEnumerable<(long Id, long First, long Last)> blocks, IReadOnlyList<long> seqs)
    {
        var holding = new List<(long Id, long First, long Last)>();
        var next = 0;
        foreach (var block in blocks)
        {
            while (next < seqs.Count && seqs[next] < block.First)
            {
                next++;
            }

            if (next == seqs.Count)
            {
                break;
            }

            if (seqs[next] <= block.Last)
            {
                holding.Add(block);
            }
        }

        return holding;
    }
}
