using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Witness.Access;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Search;
using Witness.Verification;

namespace Witness.Storage.Tests.Conformance;

/// <summary>
/// What every store must do, whatever it runs on. Each store has one subclass that says how to open
/// it; every test here runs against each of them. Tests use their own tenants, so a subclass may
/// share one database between the tests of a class.
/// </summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>Opens (and initializes) a store; the test disposes it.</summary>
    protected abstract Task<IWitnessStore> OpenStoreAsync();

    /// <summary>Opens a store that cuts free-text blocks of at most <paramref name="textBlockEvents"/> events, and indexes its backlog at start only when told.</summary>
    protected abstract Task<IWitnessStore> OpenStoreAsync(int textBlockEvents, bool indexTextBacklogAtStart);

    /// <summary>Runs SQL against the store's database behind the store's back (the tenant's id is <c>{tenant}</c> in it) and returns the first column of the first row.</summary>
    protected abstract Task<long> SqlAsync(string tenant, string sql);

    /// <summary>Indexes the store's free-text backlog, as its start does.</summary>
    protected abstract Task<long> IndexTextBacklogAsync(IWitnessStore store);
    /// <summary>
    /// Opens a store no other test of the class shares: for tests of what is global to a store (its signing
    /// keys), which would otherwise change what the other tests see. Same as <see cref="OpenStoreAsync()"/> where
    /// each test already has its own store.
    /// </summary>
    protected virtual Task<IWitnessStore> OpenOwnStoreAsync() => OpenStoreAsync();

    [Fact]
    public async Task Events_get_seq_one_two_three_in_each_tenant_and_the_head_follows()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var results = await store.AppendAsync(Submit.Request(Submit.Event(tenant), Submit.Event(tenant)), Submit.Request(Submit.Event(tenant)));

        Assert.Equal([1L, 2L, 3L], results.SelectMany(r => r.Events).Select(e => e.Seq));
        Assert.All(results.SelectMany(r => r.Events), e => Assert.False(e.Replayed));
        var frontier = await store.GetFrontierAsync(tenant, CancellationToken.None);
        Assert.Equal(3, frontier!.Size);
        var expected = new MerkleFrontier();
        foreach (var e in results.SelectMany(r => r.Events))
        {
            expected.Append(e.Hash);
        }

        Assert.Equal(expected.Root(), frontier.Root());
        Assert.Null(await store.GetFrontierAsync(Submit.Tenant(), CancellationToken.None));
        Assert.Contains(tenant, await store.ListTenantsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_conflicting_request_in_a_group_is_rolled_back_alone()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var newTenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(Submit.Event(tenant, change: e => e["id"] = "dup")));

        var group = await store.AppendAsync(
            [
                Submit.Request(Submit.Event(tenant, change: e => e["id"] = "a")),
                Submit.Request(Submit.Event(tenant, change: e => e["id"] = "b"), Submit.Event(tenant, "inbox.delete", e => e["id"] = "dup")),
                Submit.Request(Submit.Event(newTenant, change: e => e["id"] = "x"), Submit.Event(newTenant, change: e => { e["id"] = "x"; e["action"] = "inbox.delete"; })),
                Submit.Request(Submit.Event(tenant, change: e => e["id"] = "c")),
            ],
            Submit.Now,
            CancellationToken.None);

        Assert.Null(group[0].Conflict);
        Assert.Equal(1, group[1].Conflict!.Index);
        Assert.Equal("dup", group[1].Conflict!.Id);
        Assert.Empty(group[1].Events);
        Assert.NotNull(group[2].Conflict);
        Assert.Null(group[3].Conflict);
        Assert.Equal(2, group[0].Events[0].Seq);
        Assert.Equal(3, group[3].Events[0].Seq);
        Assert.Null(await store.FindAsync(tenant, "b", CancellationToken.None));
        Assert.Equal(3, (await store.GetFrontierAsync(tenant, CancellationToken.None))!.Size);
        Assert.DoesNotContain(newTenant, await store.ListTenantsAsync(CancellationToken.None));
        Assert.Equal([1L, 2L, 3L], await SeqsInLogAsync(store, tenant));
    }

    [Fact]
    public async Task A_repeated_id_with_the_same_body_answers_the_stored_event_and_with_another_body_conflicts()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var original = Submit.Event(tenant, change: e => e["id"] = "evt-1");
        var first = (await store.AppendAsync(Submit.Request(original)))[0].Events[0];

        var replay = await store.AppendAsync(Submit.Request(original), Submit.Request(original, Submit.Event(tenant)));
        Assert.True(replay[0].Events[0].Replayed);
        Assert.Equal(first.Seq, replay[0].Events[0].Seq);
        Assert.Equal(first.Hash, replay[0].Events[0].Hash);
        Assert.Equal(first.Body, replay[0].Events[0].Body);
        Assert.True(replay[1].Events[0].Replayed);
        Assert.Equal(2, replay[1].Events[1].Seq);

        // Within one group the second request sees the first one's rows.
        var sameGroup = await store.AppendAsync(
            [Submit.Request(Submit.Event(tenant, change: e => e["id"] = "evt-2")), Submit.Request(Submit.Event(tenant, change: e => e["id"] = "evt-2"))],
            Submit.Now,
            CancellationToken.None);
        Assert.False(sameGroup[0].Events[0].Replayed);
        Assert.Equal(3, sameGroup[0].Events[0].Seq);

        var changed = await store.AppendAsync(Submit.Request(Submit.Event(tenant, "inbox.delete", e => e["id"] = "evt-1")));
        Assert.Equal("evt-1", changed[0].Conflict!.Id);
        Assert.Equal(3, (await store.GetFrontierAsync(tenant, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Every_filter_and_its_negation_finds_exactly_the_matching_events_newest_first()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(
            Submit.Event(tenant, "inbox.create", e =>
            {
                e["occurred_at"] = "2025-06-01T10:00:00Z";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_1", ["email"] = "a@x.com", ["name"] = "Ada" };
                e["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = "in_a" });
            }),
            Submit.Event(tenant, "inbox.delete", e =>
            {
                e["occurred_at"] = "2025-06-02T10:00:00Z";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_2", ["email"] = "B@Y.com", ["name"] = "Bob" };
                e["outcome"] = "failure";
                e["reason"] = "quota";
                e["context"] = new JsonObject { ["ip"] = "203.0.113.200" };
                e["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = "in_b" });
            }),
            Submit.Event(tenant, "user.login", e =>
            {
                e["occurred_at"] = "2025-06-03T10:00:00Z";
                e["type"] = "access";
                e["category"] = "Authentication";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_1", ["name"] = "Ada" };
                e["outcome"] = "failure";
                e["context"] = new JsonObject { ["ip"] = "2001:db8::1" };
                e.Remove("targets");
            }),
            Submit.Event(tenant, "team.update", e =>
            {
                e["occurred_at"] = "2025-06-04T10:00:00Z";
                e["category"] = "Teams";
                e["description"] = "Renamed the Night Shift team";
                e.Remove("actor");
                e.Remove("context");
                e["targets"] = new JsonArray(new JsonObject { ["type"] = "team", ["id"] = "in_a" }, new JsonObject { ["type"] = "inbox", ["id"] = "in_c" });
            }),
            Submit.Event(tenant, "inboxes.archive", e =>
            {
                e["occurred_at"] = "2025-06-05T10:00:00Z";
                e["category"] = "inboxes";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_3", ["name"] = "Cy" };
                e["context"] = new JsonObject { ["ip"] = "198.51.100.1" };
                e["targets"] = new JsonArray();
            })));
        await store.AppendAsync(Submit.Request(Submit.Event(Submit.Tenant(), "inbox.create")));

        async Task Expect(string q, params long[] seqs) =>
            Assert.True(
                seqs.SequenceEqual(await SeqsAsync(store, tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc))),
                $"q={q}: expected [{string.Join(",", seqs)}], found [{string.Join(",", await SeqsAsync(store, tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc)))}]");

        await Expect("", 5, 4, 3, 2, 1);
        await Expect("actor:u_1", 3, 1);
        await Expect("-actor:u_1", 5, 4, 2);
        await Expect("actor:b@y.com", 2);
        await Expect("actor:A@X.COM", 1);
        await Expect("-actor:b@y.com", 5, 4, 3, 1);
        await Expect("action:inbox.create", 1);
        await Expect("-action:inbox.create", 5, 4, 3, 2);
        await Expect("action:inbox.*", 2, 1);
        await Expect("-action:inbox.*", 5, 4, 3);
        await Expect("category:inboxes", 5, 2, 1);
        await Expect("-category:Inboxes", 4, 3);
        await Expect("type:access", 3);
        await Expect("-type:access", 5, 4, 2, 1);
        await Expect("outcome:failure", 3, 2);
        await Expect("-outcome:failure", 5, 4, 1);
        await Expect("target:inbox:in_a", 1);
        await Expect("target:in_a", 4, 1);
        await Expect("-target:in_a", 5, 3, 2);
        await Expect("-target:team:in_a", 5, 3, 2, 1);
        await Expect("ip:203.0.113.7", 1);
        await Expect("ip:203.0.113.0/24", 2, 1);
        await Expect("-ip:203.0.113.0/24", 5, 4, 3);
        await Expect("ip:2001:db8::/32", 3);
        await Expect("\"night shift\"", 4);
        await Expect("QUOTA", 2);
        await Expect("-\"night shift\"", 5, 3, 2, 1);
        await Expect("actor:u_1 outcome:failure", 3);
        await Expect("target:in_a -type:access category:teams", 4);
        await Expect("created:2025-06-02..2025-06-03", 3, 2);
        await Expect("created:>=2025-06-04", 5, 4);
        var window = new EventFilter { From = DateTimeOffset.Parse("2025-06-02T10:00:00Z", CultureInfo.InvariantCulture), To = DateTimeOffset.Parse("2025-06-04T10:00:00Z", CultureInfo.InvariantCulture) };
        Assert.Equal([3L, 2L], await SeqsAsync(store, tenant, window));
    }

    [Fact]
    public async Task An_email_finds_its_events_whether_it_belongs_to_one_actor_to_several_or_to_none()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        JsonObject Actor(string? id, string email) => id is null
            ? new JsonObject { ["type"] = "user", ["email"] = email }
            : new JsonObject { ["type"] = "user", ["id"] = id, ["email"] = email };
        await store.AppendAsync(Submit.Request(
            Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor("u_1", "ada@x.com")),
            Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor("u_2", "shared@x.com")),
            Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor("u_3", "Shared@X.com")),
            Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor(null, "noid@x.com")),
            Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor("u_1", "ada@x.com")),
            Submit.Event(tenant, "user.login", e => { e["type"] = "access"; e["actor"] = Actor("u_4", "both@x.com"); }),
            Submit.Event(tenant, "user.login", e => e["actor"] = Actor(null, "both@x.com"))));

        // A request rolled back in the same group commit leaves no email behind to find.
        await store.AppendAsync(Submit.Request(Submit.Event(tenant, "inbox.create", e => { e["id"] = "dup"; e["actor"] = Actor("u_9", "ghost@x.com"); })));
        // In one group commit: the first request is rolled back, the second brings the same new email and is kept.
        var results = await store.AppendAsync(
            Submit.Request(
                Submit.Event(tenant, "inbox.create", e => { e["id"] = "fresh"; e["actor"] = Actor("u_8", "rolled@x.com"); }),
                Submit.Event(tenant, "inbox.create", e => { e["id"] = "again"; e["actor"] = Actor("u_7", "kept@x.com"); }),
                Submit.Event(tenant, "inbox.delete", e => e["id"] = "dup")),
            Submit.Request(Submit.Event(tenant, "inbox.create", e => e["actor"] = Actor("u_7", "kept@x.com"))));
        Assert.NotNull(results[0].Conflict);
        Assert.Null(results[1].Conflict);

        async Task<string> Find(string q) => string.Join(",", await SeqsAsync(store, tenant, SearchQueryParser.Parse(q, TimeZoneInfo.Utc)));
        Assert.Equal("5,1", await Find("actor:ada@x.com"));
        Assert.Equal("3,2", await Find("actor:shared@x.com"));
        Assert.Equal("4", await Find("actor:NOID@x.com"));
        Assert.Equal("7,6", await Find("actor:both@x.com"));
        Assert.Equal("7", await Find("actor:both@x.com type:activity"));
        Assert.Equal("8", await Find("actor:ghost@x.com"));
        Assert.Equal("", await Find("actor:rolled@x.com"));
        Assert.Equal("9", await Find("actor:kept@x.com"));
        Assert.Equal("", await Find("actor:nobody@x.com"));
        Assert.Equal("9,8,7,6,4,3,2", await Find("-actor:ada@x.com"));
        Assert.Equal("3", await Find("actor:shared@x.com actor:u_3"));
    }

    [Fact]
    public async Task Pages_follow_the_cursor_without_repeats_or_gaps_while_events_keep_arriving()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var start = DateTimeOffset.Parse("2025-06-01T00:00:00Z", CultureInfo.InvariantCulture);
        await store.AppendManyAsync(tenant, 25, i => Submit.Event(tenant, change: e => e["occurred_at"] = (start.AddMinutes(i % 7)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));

        var seen = new List<long>();
        var page = await store.SearchAsync(tenant, EventFilter.All, 10, null, CancellationToken.None);
        seen.AddRange(page.Events.Select(e => e.Seq));
        await store.AppendManyAsync(tenant, 5, _ => Submit.Event(tenant, change: e => e["occurred_at"] = "2025-06-10T00:00:00Z"));
        while (page.Next is not null)
        {
            var text = page.Next.ToString();
            Assert.True(EventCursor.TryParse(text, out var cursor));
            page = await store.SearchAsync(tenant, EventFilter.All, 10, cursor, CancellationToken.None);
            seen.AddRange(page.Events.Select(e => e.Seq));
        }

        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i).Order(), seen.Order());
        var all = await store.SearchAsync(tenant, EventFilter.All, 1000, null, CancellationToken.None);
        Assert.Equal(30, all.Events.Count);
        Assert.Null(all.Next);
        Assert.Equal(seen, all.Events.Select(e => e.Seq).Where(s => s <= 25));
    }

    [Fact]
    public async Task The_stream_holds_every_match_newest_first_by_occurrence_then_seq()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var start = DateTimeOffset.Parse("2025-05-01T00:00:00Z", CultureInfo.InvariantCulture);
        await store.AppendManyAsync(tenant, 2100, i => Submit.Event(tenant, i % 3 == 0 ? "inbox.delete" : "inbox.create", e => e["occurred_at"] = start.AddMinutes(i % 500).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));

        var streamed = new List<StoredEvent>();
        await foreach (var e in store.StreamAsync(tenant, SearchQueryParser.Parse("action:inbox.create", TimeZoneInfo.Utc), CancellationToken.None))
        {
            streamed.Add(e);
        }

        Assert.Equal(1400, streamed.Count);
        Assert.All(streamed, e => Assert.Equal("inbox.create", e.Event.Action));
        var expected = streamed.OrderByDescending(e => e.Event.OccurredAt).ThenByDescending(e => e.Seq).Select(e => e.Seq);
        Assert.Equal(expected, streamed.Select(e => e.Seq));
        Assert.Equal(1400, streamed.Select(e => e.Seq).Distinct().Count());
    }

    [Fact]
    public async Task An_event_is_found_by_id_and_by_seq_with_its_stored_bytes()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var appended = (await store.AppendAsync(Submit.Request(Submit.Event(tenant, change: e => e["id"] = "evt-find"), Submit.Event(tenant))))[0].Events;

        var byId = await store.FindAsync(tenant, "evt-find", CancellationToken.None);
        Assert.Equal(appended[0].Body, byId!.Body);
        Assert.Equal(appended[0].Hash, byId.Hash);
        Assert.Equal(MerkleHash.Leaf(byId.LeafBytes()!), byId.Hash);
        Assert.Equal("evt-find", byId.Event.Id);
        var bySeq = await store.FindBySeqAsync(tenant, 2, CancellationToken.None);
        Assert.Equal(appended[1].Body, bySeq!.Body);
        Assert.Equal(appended[1].Id, bySeq.Event.Id);
        Assert.Null(await store.FindAsync(tenant, "nope", CancellationToken.None));
        Assert.Null(await store.FindBySeqAsync(tenant, 3, CancellationToken.None));
        Assert.Null(await store.FindAsync(Submit.Tenant(), "evt-find", CancellationToken.None));
    }

    [Fact]
    public async Task Stored_nodes_give_inclusion_and_consistency_proofs_that_verify()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 300);
        var small = (await store.GetFrontierAsync(tenant, CancellationToken.None))!;
        await store.AppendManyAsync(tenant, 400);
        var head = (await store.GetFrontierAsync(tenant, CancellationToken.None))!;
        Assert.Equal(700, head.Size);

        var nodes = new List<(int Level, long Index, byte[] Hash)>();
        await foreach (var node in store.ReadNodesAsync(tenant, CancellationToken.None))
        {
            nodes.Add(node);
        }

        Assert.Equal([(8, 0L), (8, 1L), (9, 0L)], nodes.Select(n => (n.Level, n.Index)));
        var source = store.Nodes(tenant);
        foreach (var seq in new long[] { 1, 256, 257, 513, 700 })
        {
            var stored = (await store.FindBySeqAsync(tenant, seq, CancellationToken.None))!;
            var proof = await MerkleProofs.InclusionAsync(seq - 1, head.Size, source, CancellationToken.None);
            Assert.True(MerkleVerifier.VerifyInclusion(stored.Hash, seq - 1, head.Size, proof, head.Root()), $"inclusion of seq {seq}");
        }

        var consistency = await MerkleProofs.ConsistencyAsync(300, 700, source, CancellationToken.None);
        Assert.True(MerkleVerifier.VerifyConsistency(300, 700, consistency, small.Root(), head.Root()));
    }

    [Fact]
    public async Task The_log_as_stored_verifies_with_its_signed_checkpoints_and_target_rows()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        var issuer = new CheckpointIssuer(store, key, TimeProvider.System);
        await store.AppendManyAsync(tenant, 10, i => Submit.Event(tenant, change: e => e["targets"] = new JsonArray(
            new JsonObject { ["type"] = "inbox", ["id"] = $"in_{i}" },
            new JsonObject { ["type"] = "inbox", ["id"] = $"in_{i}" },
            new JsonObject { ["type"] = "team", ["id"] = "night" })));
        await issuer.IssueAsync(tenant, CancellationToken.None);
        await store.AppendManyAsync(tenant, 5);
        await issuer.IssueAsync(tenant, CancellationToken.None);

        var targets = new List<(long Seq, string Type, string Id)>();
        await foreach (var row in store.ReadTargetRowsAsync(tenant, CancellationToken.None))
        {
            targets.Add(row);
        }

        Assert.Equal(25, targets.Count);
        Assert.Contains((3L, "inbox", "in_2"), targets);
        Assert.Contains((3L, "team", "night"), targets);

        var rows = new List<StoredRow>();
        await foreach (var row in store.ReadLogAsync(tenant, 14, CancellationToken.None))
        {
            rows.Add(row);
        }

        Assert.Equal([14L, 15L], rows.Select(r => r.Seq));

        // New events are split rows: their free text is read in two parts, the row's public one and the personal one beside it.
        var derived = EventIndexKeys.From(CanonicalEvent.Read(rows[0].Body));
        var split = PersonalSplit.Keys(rows[0].Body, rows[0].Personal!);
        Assert.Equal(split.PublicText, rows[0].Keys.SearchText);
        Assert.Equal(split.PersonalText, rows[0].PersonalText);
        Assert.Null((derived with { SearchText = split.PublicText }).FirstDifference(rows[0].Keys));

        var result = await new ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(15, result.Events);
        Assert.Equal(2, result.CheckpointsChecked);
    }

    [Fact]
    public async Task Checkpoints_are_kept_in_growing_sizes_each_chained_to_the_one_before()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 3);
        var at = new DateTimeOffset(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);
        await store.SaveCheckpointAsync(tenant, new StoredCheckpoint(1, [1], "one", at), CancellationToken.None);
        await store.SaveCheckpointAsync(tenant, new StoredCheckpoint(2, [2], "two", at.AddMinutes(1)), CancellationToken.None);
        await store.SaveCheckpointAsync(tenant, new StoredCheckpoint(3, [3], "three", at.AddMinutes(2)), CancellationToken.None);

        // The same size again, or a smaller one signed concurrently and saved late, is not saved: the first stays.
        await store.SaveCheckpointAsync(tenant, new StoredCheckpoint(2, [9], "two again", at.AddMinutes(5)), CancellationToken.None);
        await store.SaveCheckpointAsync(tenant, new StoredCheckpoint(3, [9], "three again", at.AddMinutes(5)), CancellationToken.None);

        var latest = await store.LatestCheckpointAsync(tenant, CancellationToken.None);
        Assert.Equal("three", latest!.Note);
        Assert.Equal(at.AddMinutes(2), latest.CreatedAt);
        Assert.Equal("two", (await store.CheckpointAtLeastAsync(tenant, 2, CancellationToken.None))!.Note);
        Assert.Equal([3], (await store.CheckpointAtLeastAsync(tenant, 3, CancellationToken.None))!.RootHash);
        Assert.Null(await store.CheckpointAtLeastAsync(tenant, 4, CancellationToken.None));
        var all = new List<string>();
        await foreach (var c in store.ReadCheckpointsAsync(tenant, CancellationToken.None))
        {
            all.Add(c.Note);
        }

        Assert.Equal(["one", "two", "three"], all);
        Assert.Null(await store.LatestCheckpointAsync(Submit.Tenant(), CancellationToken.None));

        // Each row names the size before it, and the head the latest: a removed row breaks the chain.
        await using var snapshot = await store.OpenSnapshotAsync(tenant, CancellationToken.None);
        var chain = new List<(long, long?)>();
        await foreach (var c in snapshot.ReadCheckpointsAsync(CancellationToken.None))
        {
            chain.Add((c.Size, c.PreviousSize));
        }

        Assert.Equal([(1, 0), (2, 1), (3, 2)], chain);
        Assert.Equal(3, snapshot.LastCheckpointSize);
        Assert.Equal(3, snapshot.SizeCounter);
        Assert.Equal(3, snapshot.Head!.Size);
    }

    [Fact]
    public async Task A_snapshot_does_not_see_events_appended_after_it_was_opened()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 5);
        await using var snapshot = await store.OpenSnapshotAsync(tenant, CancellationToken.None);
        await store.AppendManyAsync(tenant, 7);

        var seqs = new List<long>();
        await foreach (var row in snapshot.ReadLogAsync(1, CancellationToken.None))
        {
            seqs.Add(row.Seq);
        }

        long targets = 0;
        await snapshot.VisitTargetRowsAsync((seq, _, _) => targets = Math.Max(targets, seq), CancellationToken.None);
        Assert.Equal(5, snapshot.Head!.Size);
        Assert.Equal([1, 2, 3, 4, 5], seqs);
        Assert.True(targets <= 5);
        Assert.Equal(5, await snapshot.CountEventRowsAsync(CancellationToken.None));
        Assert.Equal(12, (await store.GetFrontierAsync(tenant, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Api_keys_are_found_by_id_with_their_tenant_scopes_and_hash()
    {
        await using var store = await OpenStoreAsync();
        var now = new DateTimeOffset(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);
        var (_, bound) = ApiKeys.Create("acme", [Scopes.EventsRead, Scopes.EventsWrite], "ingest", now);
        var (_, global) = ApiKeys.Create(null, Scopes.All, "ops", now);
        await store.CreateApiKeyAsync(bound, CancellationToken.None);
        await store.CreateApiKeyAsync(global, CancellationToken.None);

        var found = await store.FindApiKeyAsync(bound.KeyId, CancellationToken.None);
        Assert.Equal("acme", found!.Tenant);
        Assert.Equal(bound.SecretHash, found.SecretHash);
        Assert.Equal([Scopes.EventsRead, Scopes.EventsWrite], found.Scopes);
        Assert.Equal("ingest", found.Name);
        Assert.Equal(now, found.CreatedAt);
        Assert.Null((await store.FindApiKeyAsync(global.KeyId, CancellationToken.None))!.Tenant);
        Assert.Null(await store.FindApiKeyAsync("k_missing", CancellationToken.None));
    }

    [Fact]
    public async Task Settings_default_to_the_spec_and_are_kept_per_tenant()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        Assert.Equal(TenantSettings.Default, await store.GetSettingsAsync(tenant, CancellationToken.None));

        await store.SaveSettingsAsync(tenant, new TenantSettings { RetentionDays = 30, TimeZone = "Europe/Rome", StrictMode = true }, CancellationToken.None);
        await store.SaveSettingsAsync(tenant, new TenantSettings { RetentionDays = 400, TimeZone = "Europe/Rome", StrictMode = true, LegalHold = true }, CancellationToken.None);

        Assert.Equal(new TenantSettings { RetentionDays = 400, TimeZone = "Europe/Rome", StrictMode = true, LegalHold = true }, await store.GetSettingsAsync(tenant, CancellationToken.None));
        Assert.Equal(TenantSettings.Default, await store.GetSettingsAsync(Submit.Tenant(), CancellationToken.None));
    }

    [Fact]
    public async Task Tenants_never_see_each_others_events_even_under_the_same_ids()
    {
        await using var store = await OpenStoreAsync();
        var acme = Submit.Tenant();
        var globex = Submit.Tenant();
        var results = await store.AppendAsync(
            [
                Submit.Request(Submit.Event(acme, change: e => { e["id"] = "same"; e["actor"] = new JsonObject { ["id"] = "u_acme" }; })),
                Submit.Request(Submit.Event(globex, "team.update", e => { e["id"] = "same"; e["actor"] = new JsonObject { ["id"] = "u_globex" }; })),
            ],
            Submit.Now,
            CancellationToken.None);

        Assert.Equal(1, results[0].Events[0].Seq);
        Assert.Equal(1, results[1].Events[0].Seq);
        Assert.False(results[1].Events[0].Replayed);
        Assert.Equal("inbox.create", (await store.FindAsync(acme, "same", CancellationToken.None))!.Event.Action);
        Assert.Equal("team.update", (await store.FindAsync(globex, "same", CancellationToken.None))!.Event.Action);
        Assert.Empty(await SeqsAsync(store, acme, SearchQueryParser.Parse("actor:u_globex", TimeZoneInfo.Utc)));
        Assert.Equal([1L], await SeqsAsync(store, globex, SearchQueryParser.Parse("actor:u_globex", TimeZoneInfo.Utc)));
        Assert.All((await store.SearchAsync(acme, EventFilter.All, 50, null, CancellationToken.None)).Events, e => Assert.Equal(acme, e.Event.Tenant));
        var globexTargets = new List<(long, string, string)>();
        await foreach (var row in store.ReadTargetRowsAsync(globex, CancellationToken.None))
        {
            globexTargets.Add(row);
        }

        Assert.Single(globexTargets);
    }

    private static async Task<List<long>> SeqsAsync(IWitnessStore store, string tenant, EventFilter filter)
    {
        var seqs = new List<long>();
        await foreach (var e in store.StreamAsync(tenant, filter, CancellationToken.None))
        {
            seqs.Add(e.Seq);
        }

        return seqs;
    }

    private static async Task<List<long>> SeqsInLogAsync(IWitnessStore store, string tenant)
    {
        var seqs = new List<long>();
        await foreach (var row in store.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            seqs.Add(row.Seq);
        }

        return seqs;
    }
}
