using Witness.Search;
using Witness.Storage;

namespace Witness.Core.Tests.Search;

public sealed class TextBlockTests
{
    [Fact]
    public void A_text_holds_every_trigram_of_each_of_its_substrings_whatever_the_case_or_script()
    {
        const string text = "ada signed in from berlin\nstraße 🙂 ünï\n50% off_peak";
        var set = new HashSet<int>();
        TextTrigrams.Add(text, set);

        foreach (var term in new[] { "BERLIN", "erl", "Straße", "🙂 ü", "ÜNÏ", "50% o", "f_p", "from berlin\nstr" })
        {
            Assert.All(TextTrigrams.OfTerm(term), key => Assert.Contains(key, set));
        }

        Assert.Empty(TextTrigrams.OfTerm("be"));
        Assert.DoesNotContain(TextTrigrams.OfTerm("lisbon"), set.Contains);
    }

    [Fact]
    public void The_builder_cuts_blocks_at_the_size_and_at_a_gap_and_keeps_their_time_range()
    {
        var builder = new TextBlockBuilder(maxEvents: 3);
        builder.Add(1, 50, "alpha");
        builder.Add(2, 10, "beta");
        builder.Add(3, 30, "gamma");
        builder.Add(4, 40, "delta");
        builder.Add(7, 5, "omega");
        builder.Complete();

        Assert.Equal([(1L, 3L, 10L, 50L), (4L, 4L, 40L, 40L), (7L, 7L, 5L, 5L)], builder.Blocks.Select(b => (b.FirstSeq, b.LastSeq, b.MinOccurredMicros, b.MaxOccurredMicros)));
        Assert.Contains(TextTrigrams.OfTerm("amm")[0], builder.Blocks[0].Trigrams);
        Assert.DoesNotContain(TextTrigrams.OfTerm("omega")[0], builder.Blocks[0].Trigrams);
    }

    [Fact]
    public void Each_block_holds_exactly_the_distinct_trigrams_of_its_events_in_ascending_order_block_after_block()
    {
        // Blocks of random texts, mostly ASCII with some other letters, against the trigrams collected in a plain hash set.
        var random = new Random(11);
        const string letters = "abcdefghij klmnopqrstuvwxyz0123456789.@_-\n\"äöüßéł🙂中";
        var builder = new TextBlockBuilder(maxEvents: 4);
        var expected = new List<int[]>();
        var open = new HashSet<int>();
        for (var seq = 1; seq <= 200; seq++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 60)).Select(_ => letters[random.Next(random.Next(4) == 0 ? letters.Length : 41)])]);
            builder.Add(seq, seq, text);
            TextTrigrams.Add(text, open);
            if (seq % 4 == 0)
            {
                expected.Add([.. open.Order()]);
                open.Clear();
            }
        }

        builder.Complete();
        Assert.Equal(expected.Count, builder.Blocks.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], builder.Blocks[i].Trigrams);
        }

        // A new builder (the bitmap given back cleared) starts from nothing.
        var next = new TextBlockBuilder(maxEvents: 4);
        next.Add(1, 1, "xyz");
        next.Complete();
        Assert.Equal(TextTrigrams.OfTerm("xyz"), next.Blocks[0].Trigrams);
    }

    [Fact]
    public void Only_positive_terms_of_three_or_more_characters_narrow_and_a_group_narrows_only_when_each_alternative_does()
    {
        Assert.Null(TextIndexCondition.From(SearchQueryParser.Parse("ab -berlin actor:u_1", TimeZoneInfo.Utc)));
        Assert.Null(TextIndexCondition.From(SearchQueryParser.Parse("berlin OR actor:u_1", TimeZoneInfo.Utc)));
        Assert.Null(TextIndexCondition.From(SearchQueryParser.Parse("berlin OR ab", TimeZoneInfo.Utc)));

        var word = TextIndexCondition.From(SearchQueryParser.Parse("berlin -lisbon", TimeZoneInfo.Utc))!;
        Assert.Equal(TextTrigrams.OfTerm("berlin"), word.All);
        Assert.Empty(word.AnyOf);

        var group = TextIndexCondition.From(SearchQueryParser.Parse("(berlin OR \"night shift\") ab", TimeZoneInfo.Utc))!;
        Assert.Empty(group.All);
        Assert.Equal(2, Assert.Single(group.AnyOf).Count);
        Assert.Matches(@"^\(\(""[0-9a-f]+""( AND ""[0-9a-f]+"")*\) OR \(""[0-9a-f]+""( AND ""[0-9a-f]+"")*\)\)$", group.ToFts5());
    }

    [Fact]
    public async Task Pages_through_blocks_are_the_same_rows_in_the_same_order_as_sorting_every_match()
    {
        var random = new Random(7);
        for (var run = 0; run < 30; run++)
        {
            // Blocks of consecutive seqs whose times overlap each other, some rows matching.
            var rows = new List<(long Seq, long Occurred, bool Match)>();
            var blocks = new List<TextBlockRange>();
            var seq = 0L;
            for (var b = 0; b < random.Next(1, 25); b++)
            {
                var first = seq + 1;
                var size = random.Next(1, 12);
                for (var i = 0; i < size; i++)
                {
                    rows.Add((++seq, random.Next(0, 60), random.Next(3) == 0));
                }

                var mine = rows.Where(r => r.Seq >= first).ToList();
                blocks.Add(new TextBlockRange(first, seq, mine.Min(r => r.Occurred), mine.Max(r => r.Occurred)));
            }

            var expected = rows.Where(r => r.Match).OrderByDescending(r => r.Occurred).ThenByDescending(r => r.Seq).Select(r => r.Seq).ToList();
            var limit = random.Next(1, 6);
            var found = new List<long>();
            EventCursor? cursor = null;
            do
            {
                var after = cursor;
                var page = await TextBlockSearch.PageAsync(blocks.Where(b => after is null || b.MinOccurredMicros <= after.OccurredAtMicros).ToList(), limit, (ranges, count, _) =>
                    Task.FromResult<IReadOnlyList<(long, StoredEvent)>>([.. rows
                        .Where(r => r.Match && ranges.Any(g => r.Seq >= g.FirstSeq && r.Seq <= g.LastSeq))
                        .Where(r => after is null || r.Occurred < after.OccurredAtMicros || (r.Occurred == after.OccurredAtMicros && r.Seq < after.Seq))
                        .OrderByDescending(r => r.Occurred).ThenByDescending(r => r.Seq).Take(count)
                        .Select(r => (r.Occurred, new StoredEvent(r.Seq, [], [])))]), CancellationToken.None);
                Assert.True(page.Events.Count <= limit);
                found.AddRange(page.Events.Select(e => e.Seq));
                cursor = page.Next;
            }
            while (cursor is not null);

            Assert.Equal(expected, found);
        }
    }

    [Fact]
    public void A_counts_runs_join_blocks_that_follow_one_another_and_keep_apart_those_that_do_not()
    {
        var runs = TextBlockSearch.SeqRuns(
        [
            new TextBlockRange(129, 192, 5, 9),
            new TextBlockRange(1, 64, 1, 2),
            new TextBlockRange(65, 128, 3, 4),
            new TextBlockRange(257, 320, 10, 11),
            TextBlockRange.Unindexed(300, 400),
        ]);

        Assert.Equal([(1L, 192L), (257L, 400L)], runs);
        Assert.Empty(TextBlockSearch.SeqRuns([]));
    }
}
