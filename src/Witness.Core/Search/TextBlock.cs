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
    private readonly TrigramSet _trigrams = new();
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
        _trigrams.Add(searchText);
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

        _completed.Add(new TextBlock(_firstSeq, _lastSeq, _minOccurred, _maxOccurred, _trigrams.TakeSorted()));
        _events = 0;
    }

    /// <summary>
    /// The distinct trigrams of one block (<see cref="TextTrigrams"/>) as the single writer adds them, one event after another:
    /// the ASCII trigrams, one-to-one in 21 bits, as bits of a bitmap (a bit set per character instead of a hash-set insert:
    /// 0.75-1.0 against 1.5-1.8 us of the writer's time per event), with a bit per touched word beside it so that taking them
    /// out in order reads only what was set; other trigrams in a hash set. The bitmap (260 KiB) is borrowed from a pool for
    /// one block and given back cleared.
    /// </summary>
    private sealed class TrigramSet
    {
        private const int Words = TextTrigrams.AsciiKeys / 64;
        private const int SummaryWords = Words / 64;
        private static readonly System.Collections.Concurrent.ConcurrentBag<ulong[]> Pool = [];

        private readonly HashSet<int> _others = [];
        private ulong[]? _bits;
        private int _ascii;

        public void Add(string text)
        {
            if (text.Length < 3)
            {
                return;
            }

            var bits = _bits ??= Pool.TryTake(out var pooled) ? pooled : new ulong[Words + SummaryWords];
            for (var i = 0; i + 2 < text.Length; i++)
            {
                var key = TextTrigrams.Key(text[i], text[i + 1], text[i + 2]);
                if (key >= TextTrigrams.AsciiKeys)
                {
                    _others.Add(key);
                    continue;
                }

                var word = key >> 6;
                var before = bits[word];
                bits[word] = before | (1UL << key);
                if (bits[word] != before)
                {
                    _ascii++;
                    bits[Words + (word >> 6)] |= 1UL << word;
                }
            }
        }

        /// <summary>The trigrams added since the last call, ascending (the ASCII ones are all below the hashed ones); empties the set.</summary>
        public int[] TakeSorted()
        {
            var keys = new int[_ascii + _others.Count];
            var n = 0;
            if (_bits is { } bits)
            {
                for (var s = 0; s < SummaryWords; s++)
                {
                    for (var summary = bits[Words + s]; summary != 0; summary &= summary - 1)
                    {
                        var word = (s << 6) + System.Numerics.BitOperations.TrailingZeroCount(summary);
                        for (var w = bits[word]; w != 0; w &= w - 1)
                        {
                            keys[n++] = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(w);
                        }

                        bits[word] = 0;
                    }

                    bits[Words + s] = 0;
                }

                _bits = null;
                Pool.Add(bits);
            }

            _others.CopyTo(keys, n);
            Array.Sort(keys, n, _others.Count);
            _others.Clear();
            _ascii = 0;
            return keys;
        }
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
