using System.Text.Json.Nodes;
using Witness.Events;
using Witness.Privacy;
using Witness.Retention;
using Witness.Search;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Free text through the block index (small blocks, so a few hundred events make dozens of them), checked against the alert matcher.</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly string[] Words = ["berlin", "lisbon", "night shift", "quota raised", "Straße", "report", "export", "in_9", "exported the report", "ümlaut"];

    private static readonly string[] BlockQueries =
    [
        "berlin", "BERLIN", "erli", "lisbon", "\"night shift\"", "\"shift night\"", "berlin OR lisbon", "(berlin OR lisbon) -report",
        "-berlin", "-(berlin OR night)", "berlin lisbon", "\"exported the report\"", "straße", "STRASSE", "ümla", "in", "in_9",
        "zz", "zzzzzz", "zzzzzz OR berlin", "(berlin OR zz) report", "berlin OR actor:u_2", "actor:u_1 lisbon", "action:user.* quota",
        "created:>=2025-06-01T00:30:00Z berlin", "created:<2025-06-01T00:20:00Z (lisbon OR \"quota raised\")", "rarity", "rarity OR lisbon",
    ];

    /// <summary>Appends <paramref name="count"/> events in requests of a few dozen (so in several transactions), with times out of seq order.</summary>
    private static async Task<List<(long Seq, AuditEvent Event)>> AppendWordsAsync(IWitnessStore store, string tenant, int count, int firstIndex = 0)
    {
        var stored = new List<(long, AuditEvent)>();
        var start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        for (var from = firstIndex; from < firstIndex + count; from += 37)
        {
            var events = Enumerable.Range(from, Math.Min(37, firstIndex + count - from)).Select(i => Submit.Event(tenant, i % 3 == 0 ? "user.login" : "report.export", e =>
            {
                e["occurred_at"] = start.AddSeconds(i * 7919 % 3600).ToString("O");
                e["description"] = $"{Words[i % Words.Length]} {Words[(i * 7) % Words.Length]}" + (i % 97 == 13 ? " rarity" : "");
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 4}" };
                e.Remove("targets");
            })).ToArray();
            var request = Submit.Request(events);
            var result = (await store.AppendAsync([request], Submit.Now, CancellationToken.None))[0];
            Assert.Null(result.Conflict);
            stored.AddRange(result.Events.Select((a, i) => (a.Seq, request[i].Event)));
        }

        return stored;
    }

    private static async Task ExpectLikeTheMatcherAsync(IWitnessStore store, string tenant, IReadOnlyList<(long Seq, AuditEvent Event)> stored, string q, int limit)
    {
        var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
        var expected = stored.Where(x => EventFilterMatcher.Matches(filter, x.Event, EventIndexKeys.From(x.Event)))
            .OrderByDescending(x => x.Event.OccurredAt).ThenByDescending(x => x.Seq).Select(x => x.Seq).ToList();
        var found = (await PagesAsync(store, tenant, q, limit)).Select(x => x.Seq).ToList();
        Assert.True(expected.SequenceEqual(found), $"q={q}: the matcher finds {expected.Count} [{string.Join(",", expected.Take(12))}…], the store {found.Count} [{string.Join(",", found.Take(12))}…]");
    }

    [Fact]
    public async Task Free_text_through_small_blocks_pages_exactly_what_the_alert_matcher_finds()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: true);
        var tenant = Submit.Tenant();
        var stored = await AppendWordsAsync(store, tenant, 400);
        var other = Submit.Tenant();
        await store.AppendManyAsync(other, 50, i => Submit.Event(other, change: e => e["description"] = "berlin rarity elsewhere"));

        var blocks = await SqlAsync(tenant, "SELECT count(*) FROM text_blocks WHERE tenant_id = {tenant}");
        Assert.True(blocks >= 50, $"{blocks} blocks");
        foreach (var q in BlockQueries)
        {
            await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 7);
            await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 50);
        }
    }

    [Fact]
    public async Task A_rare_word_is_found_through_the_blocks_not_by_a_scan()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: true);
        var tenant = Submit.Tenant();
        var stored = await AppendWordsAsync(store, tenant, 400);
        await ExpectLikeTheMatcherAsync(store, tenant, stored, "rarity", limit: 3);

        // Blocks removed behind the store's back (and no backlog to read instead): a word only they led to is no longer found.
        await SqlAsync(tenant, "DELETE FROM text_blocks WHERE tenant_id = {tenant}");
        Assert.Empty(await SeqsAsync(store, tenant, SearchQueryParser.Parse("rarity", TimeZoneInfo.Utc)));
        Assert.NotEmpty(await SeqsAsync(store, tenant, SearchQueryParser.Parse("ra", TimeZoneInfo.Utc)));
    }

    [Fact]
    public async Task A_free_text_histogram_counts_the_rows_of_the_blocks_and_of_the_backlog_not_every_event()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: false);
        var tenant = Submit.Tenant();
        var stored = await AppendWordsAsync(store, tenant, 400);
        var service = new Witness.Stats.EventStatsService(store, TimeProvider.System);
        var range = new EventFilter { From = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 6, 1, 1, 0, 0, TimeSpan.Zero) };
        async Task<long> CountAsync(string q) =>
            (await service.CountAsync(tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc) with { From = range.From, To = range.To }, TimeZoneInfo.Utc, Witness.Stats.StatsBucket.Minute, 0, CancellationToken.None)).Events;

        long Matching(string q) => stored.Count(x => EventFilterMatcher.Matches(SearchQueryParser.Parse(q, TimeZoneInfo.Utc), x.Event, EventIndexKeys.From(x.Event)));
        var rare = Matching("rarity");
        Assert.True(rare > 0);
        Assert.Equal(rare, await CountAsync("rarity"));

        // Blocks removed behind the store's back: the rows only they led to are no longer counted; a term too short
        // to narrow (no trigram) still scans every event.
        await SqlAsync(tenant, "DELETE FROM text_blocks WHERE tenant_id = {tenant}");
        Assert.Equal(0, await CountAsync("rarity"));
        Assert.Equal(Matching("ra"), await CountAsync("ra"));

        // The same events named as not yet indexed (as migration 013 leaves a store): counted again, from the backlog's rows.
        await SqlAsync(tenant, "INSERT INTO text_backlog (tenant_id, next_seq, end_seq) VALUES ({tenant}, 1, 401)");
        Assert.Equal(rare, await CountAsync("rarity"));
    }

    [Fact]
    public async Task Events_stored_before_the_index_are_found_before_and_after_the_backlog_is_indexed()
    {
        var tenant = Submit.Tenant();
        List<(long Seq, AuditEvent Event)> stored;
        await using (var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: false))
        {
            stored = await AppendWordsAsync(store, tenant, 300);
        }

        // As migration 013 leaves a store that held events: no blocks for them, a backlog naming their seqs.
        await SqlAsync(tenant, "DELETE FROM text_blocks WHERE tenant_id = {tenant} AND last_seq <= 300");
        await SqlAsync(tenant, "INSERT INTO text_backlog (tenant_id, next_seq, end_seq) VALUES ({tenant}, 1, 301)");

        await using (var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: false))
        {
            stored.AddRange(await AppendWordsAsync(store, tenant, 120, firstIndex: 300));
            Assert.True(await SqlAsync(tenant, "SELECT count(*) FROM text_blocks WHERE tenant_id = {tenant}") > 0);
            foreach (var q in BlockQueries)
            {
                await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 9);
            }

            Assert.Equal(300, await IndexTextBacklogAsync(store));
            Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM text_backlog WHERE tenant_id = {tenant}"));
            Assert.Equal(420, await SqlAsync(tenant, "SELECT CAST(sum(last_seq - first_seq + 1) AS bigint) FROM text_blocks WHERE tenant_id = {tenant}"));
            foreach (var q in BlockQueries)
            {
                await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 9);
            }
        }
    }

    [Fact]
    public async Task A_purge_and_a_tenant_deletion_remove_the_blocks_of_what_they_removed()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 64, indexTextBacklogAtStart: true);
        var tenant = Submit.Tenant();
        var size = RetentionBlocks.BlockSize;
        await store.AppendManyAsync(tenant, size + 100, i => Submit.Event(tenant, change: e => e["description"] = i < size ? $"early bird {i}" : $"late riser {i}"));
        Assert.True(await SqlAsync(tenant, "SELECT count(*) FROM text_blocks WHERE tenant_id = {tenant} AND last_seq <= " + size) > 0);

        await ((IRetentionStore)store).PurgeAsync(tenant, Submit.Now.AddSeconds(1), size, CancellationToken.None);

        Assert.Equal(0, await SqlAsync(tenant, "SELECT count(*) FROM text_blocks WHERE tenant_id = {tenant} AND last_seq <= " + size));
        Assert.Empty(await SeqsAsync(store, tenant, SearchQueryParser.Parse("bird", TimeZoneInfo.Utc)));
        Assert.Equal(100, (await SeqsAsync(store, tenant, SearchQueryParser.Parse("riser", TimeZoneInfo.Utc))).Count);

        var id = await SqlAsync(tenant, "SELECT {tenant}");
        await ((ITenantStore)store).DeleteTenantAsync(tenant, CancellationToken.None);
        Assert.Equal(0, await SqlAsync(tenant, $"SELECT count(*) FROM text_blocks WHERE tenant_id = {id}"));
    }

    [Fact]
    public async Task Free_text_in_the_personal_values_of_split_rows_is_listed_and_counted_like_the_matcher_finds_it_and_not_once_erased()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: true);
        var tenant = Submit.Tenant();
        var start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        // Personal values only (name, email, IP) hold "harbour", "quill" and the addresses; the descriptions hold "berlin" or
        // "report". "quill" is rare (a few blocks: a first page and a count read the candidate blocks' rows), "harbour" is in
        // most blocks (a first page scans).
        var events = Enumerable.Range(0, 240).Select(i => Submit.Event(tenant, i % 3 == 0 ? "user.login" : "report.export", e =>
        {
            e["occurred_at"] = start.AddSeconds(i * 7919 % 3600).ToString("O");
            e["description"] = i % 2 == 0 ? "berlin shift" : "report filed";
            e["actor"] = i % 41 == 5
                ? new JsonObject { ["type"] = "user", ["id"] = "u_r", ["name"] = "Quill Rarename", ["email"] = "quill@harbour.example" }
                : new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 4}", ["name"] = $"Person {i % 4}", ["email"] = $"desk{i % 5}@harbour.example" };
            e["context"] = new JsonObject { ["ip"] = $"198.51.100.{i % 7}" };
            e.Remove("targets");
        })).ToArray();
        var stored = new List<(long Seq, AuditEvent Event)>();
        foreach (var chunk in events.Chunk(37))
        {
            var request = Submit.Request(chunk);
            var result = (await store.AppendAsync([request], Submit.Now, CancellationToken.None))[0];
            stored.AddRange(result.Events.Select((a, i) => (a.Seq, request[i].Event)));
        }

        var service = new Witness.Stats.EventStatsService(store, TimeProvider.System);
        async Task<long> CountAsync(string q) =>
            (await service.CountAsync(tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc) with { From = start, To = start.AddHours(1) }, TimeZoneInfo.Utc, Witness.Stats.StatsBucket.Minute, 0, CancellationToken.None)).Events;
        long Matching(string q) => stored.Count(x => EventFilterMatcher.Matches(SearchQueryParser.Parse(q, TimeZoneInfo.Utc), x.Event, EventIndexKeys.From(x.Event)));

        string[] queries =
        [
            "quill", "rarename", "\"quill rarename\"", "quill@harbour", "quill berlin", "quill -berlin", "-quill", "quill OR report", "harbour", "-harbour",
            "desk3@harbour", "\"person 2\"", "harbour -desk1", "198.51.100.3", "quill action:user.login", "(quill OR desk2) -report", "berlin",
        ];
        foreach (var q in queries)
        {
            Assert.True(Matching(q) > 0 || q.StartsWith('-'), $"q={q} matches nothing");
            await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 5);
            await ExpectLikeTheMatcherAsync(store, tenant, stored, q, limit: 60);
            Assert.True(Matching(q) == await CountAsync(q), $"q={q}: the matcher finds {Matching(q)}, the count {await CountAsync(q)}");
        }

        // Erased, the values are found no more, neither listed nor counted; the descriptions still are.
        var quills = Matching("quill");
        var erased = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_r"), CancellationToken.None);
        Assert.Equal(quills, erased.Events);
        foreach (var q in new[] { "quill", "rarename", "quill@harbour", "quill OR report" })
        {
            var expected = q == "quill OR report" ? Matching("report") : 0;
            Assert.Equal(expected, (await SeqsAsync(store, tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc))).Count);
            Assert.Equal(expected, await CountAsync(q));
        }

        Assert.Equal(Matching("harbour") - quills, await CountAsync("harbour"));
        Assert.Equal(Matching("berlin"), await CountAsync("berlin"));
    }
}
