using System.Text.Json.Nodes;
using Witness.Retention;
using Witness.Search;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Free text, phrases, OR, parentheses and negation, as each store's SQL finds them.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Free_text_with_or_parentheses_phrases_and_negation_finds_what_the_alert_matcher_finds()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        string[] descriptions =
        [
            "Ada signed in from Berlin",
            "Bob exported the Berlin report",
            "Night shift moved to Lisbon",
            "Renamed the night team",
            "50% off_peak quota (raised) by \"ops\"",
            "Ünïcode Straße and emoji 🙂 here",
        ];
        var events = descriptions.Select((d, i) => Submit.Event(tenant, i % 2 == 0 ? "user.login" : "report.export", e =>
        {
            e["occurred_at"] = $"2025-06-0{i + 1}T10:00:00Z";
            e["description"] = d;
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 3}", ["name"] = $"Person {i}" };
            e["context"] = new JsonObject { ["ip"] = "203.0.113.7", ["location"] = new JsonObject { ["country"] = "DE", ["city"] = i == 2 ? "Lisbon" : "Hamburg" } };
            e.Remove("category");
            e.Remove("targets");
        })).ToArray();
        var submitted = Submit.Request(events);
        await store.AppendAsync(submitted);
        await store.AppendAsync(Submit.Request(Submit.Event(Submit.Tenant(), "user.login", e => e["description"] = "Berlin elsewhere")));

        async Task Expect(string q, params long[] seqs)
        {
            var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
            var found = await SeqsAsync(store, tenant, filter);
            Assert.True(seqs.SequenceEqual(found), $"q={q}: expected [{string.Join(",", seqs)}], found [{string.Join(",", found)}]");
            var matched = submitted.Select((s, i) => (Seq: (long)i + 1, s.Event))
                .Where(x => EventFilterMatcher.Matches(filter, x.Event, EventIndexKeys.From(x.Event)))
                .Select(x => x.Seq).Reverse();
            Assert.True(seqs.SequenceEqual(matched), $"q={q}: the matcher found [{string.Join(",", matched)}]");
        }

        await Expect("berlin", 2, 1);
        await Expect("BERL", 2, 1);
        await Expect("erli", 2, 1);
        await Expect("-berlin", 6, 5, 4, 3);
        await Expect("\"the berlin report\"", 2);
        await Expect("\"berlin report\" ada");
        await Expect("berlin OR lisbon", 3, 2, 1);
        await Expect("lisbon OR \"night team\"", 4, 3);
        await Expect("(berlin OR lisbon) action:user.login", 3, 1);
        await Expect("action:user.login (berlin OR night)", 3, 1);
        await Expect("-(berlin OR night)", 6, 5);
        await Expect("(ada OR bob) (berlin OR lisbon) -exported", 1);
        await Expect("night -(shift lisbon)", 4);
        await Expect("night AND team", 4);
        await Expect("berlin OR actor:u_2", 6, 3, 2, 1);
        await Expect("(berlin OR -actor:u_0) -report", 5, 3, 1);
        await Expect("((lisbon) OR (berlin ada))", 3, 1);
        await Expect("hamburg -\"off_peak\"", 6, 4, 2, 1);
        await Expect("\"50%\"", 5);
        await Expect("off_peak", 5);
        await Expect("ff_p", 5);
        await Expect("f_", 5);
        await Expect("\"(raised)\"", 5);
        await Expect("straße 🙂", 6);
        await Expect("ünï", 6);
        await Expect("zz");
        await Expect("zzzzzz");
        await Expect("zzzzzz OR qqqqqq");
        await Expect("in", 5, 3, 2, 1);
        await Expect("in OR night", 5, 4, 3, 2, 1);
        await Expect("created:>=2025-06-02 (berlin OR lisbon)", 3, 2);
    }

    [Fact]
    public async Task A_word_in_thousands_of_events_pages_newest_first_like_a_rare_one()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var start = new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero);
        // A word in thousands of events and a rare one page alike.
        await store.AppendManyAsync(tenant, 6000, i => Submit.Event(tenant, change: e =>
        {
            e["occurred_at"] = start.AddSeconds(i * 7 % 6000).ToString("O");
            e["description"] = (i % 6 == 0 ? "nothing here" : "common word") + (i % 1000 == 500 ? " and a rarity" : "");
        }));

        var common = await PagesAsync(store, tenant, "common", 250);
        Assert.Equal(5000, common.Count);
        Assert.Equal(common.OrderByDescending(x => x.Occurred).ThenByDescending(x => x.Seq), common);
        var rare = await PagesAsync(store, tenant, "rarity", 2);
        Assert.Equal([5501L, 4501, 3501, 2501, 1501, 501], rare.Select(x => x.Seq).Order().Reverse());
        Assert.Equal(rare.OrderByDescending(x => x.Occurred).ThenByDescending(x => x.Seq), rare);
        Assert.Equal(1000, (await PagesAsync(store, tenant, "-common", 500)).Count);
    }

    [Fact]
    public async Task Purged_events_are_no_longer_found_by_their_words()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var size = RetentionBlocks.BlockSize;
        await store.AppendManyAsync(tenant, size + 10, i => Submit.Event(tenant, change: e => e["description"] = i < size ? $"early bird {i}" : $"late riser {i}"));

        var batch = await ((IRetentionStore)store).PurgeAsync(tenant, Submit.Now.AddSeconds(1), size, CancellationToken.None);

        Assert.Equal(new PurgeBatch(1, size), batch);
        Assert.Empty(await SeqsAsync(store, tenant, SearchQueryParser.Parse("early", TimeZoneInfo.Utc)));
        Assert.Equal(10, (await SeqsAsync(store, tenant, SearchQueryParser.Parse("late OR early", TimeZoneInfo.Utc))).Count);
    }

    private static async Task<List<(long Seq, DateTimeOffset Occurred)>> PagesAsync(IWitnessStore store, string tenant, string q, int limit)
    {
        var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
        var found = new List<(long, DateTimeOffset)>();
        EventCursor? cursor = null;
        do
        {
            var page = await store.SearchAsync(tenant, filter, limit, cursor, CancellationToken.None);
            found.AddRange(page.Events.Select(e => (e.Seq, e.Event.OccurredAt)));
            cursor = page.Next;
        }
        while (cursor is not null);

        return found;
    }
}
