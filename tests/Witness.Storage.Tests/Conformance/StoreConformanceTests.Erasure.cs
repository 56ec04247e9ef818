using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Alerts;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Privacy;
using Witness.Search;
using Witness.Verification;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Leaf version 2 and erasure (docs/erasure.md) on every store.</summary>
public abstract partial class StoreConformanceTests
{
    private static JsonObject SubjectEvent(string tenant, string email = "Erin.Subject@Example.com", string id = "u_erin") =>
        Submit.Event(tenant, change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = id, ["name"] = "Erin Subject", ["email"] = email };
            e["context"] = new JsonObject
            {
                ["ip"] = "198.51.100.77", ["user_agent"] = "ErinBrowser/2.0", ["source"] = "form",
                ["location"] = new JsonObject { ["country"] = "DE", ["city"] = "Bonn" },
            };
        });

    private static async Task<ChainVerification> VerifySignedAsync(IWitnessStore store, string tenant, SigningKey key)
    {
        await new CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        return await new ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
    }

    [Fact]
    public async Task Personal_values_enter_the_leaf_as_salted_commitments_while_the_body_keeps_them()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(SubjectEvent(tenant), SubjectEvent(tenant)));

        var first = (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!;
        var second = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.Equal("Erin Subject", first.Event.Actor.Name);
        Assert.Equal(PersonalValues.Salted, first.Personal![0]);
        Assert.Equal(1 + (6 * PersonalValues.SaltSize), first.Personal.Length); // name, email, ip, user agent, country, city
        Assert.NotEqual(first.Personal, second.Personal); // a fresh salt per value: equal values give unequal commitments

        var leaf = Encoding.UTF8.GetString(first.LeafBytes()!);
        Assert.DoesNotContain("Erin", leaf, StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.77", leaf, StringComparison.Ordinal);
        Assert.DoesNotContain("Bonn", leaf, StringComparison.Ordinal);
        Assert.Contains("\"source\":\"form\"", leaf, StringComparison.Ordinal);
        Assert.Equal(MerkleHash.Leaf(first.LeafBytes()!), first.Hash);

        // The commitment of the name is SHA-256(salt ‖ UTF-8 name).
        var commitment = new byte[32];
        PersonalValues.Commit(first.Personal.AsSpan(1, 16), "Erin Subject"u8, commitment);
        Assert.Contains($"\"name\":{{\"sha256\":\"{Convert.ToHexStringLower(commitment)}\"}}", leaf, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erasing_a_subject_by_email_rewrites_its_events_and_the_log_still_verifies()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await store.AppendAsync(
            Submit.Request(SubjectEvent(tenant), Submit.Event(tenant), SubjectEvent(tenant)),
            Submit.Request(SubjectEvent(tenant, email: "erin.subject@example.com", id: "u_erin")));
        Assert.True((await VerifySignedAsync(store, tenant, key)).Ok);
        var before = new List<StoredEvent>();
        for (var seq = 1; seq <= 4; seq++)
        {
            before.Add((await store.FindBySeqAsync(tenant, seq, CancellationToken.None))!);
        }

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("ERIN.subject@example.com"), CancellationToken.None);

        Assert.Equal(new ErasureCount(3, 0), count);
        foreach (var seq in new[] { 1, 3, 4 })
        {
            var erased = (await store.FindBySeqAsync(tenant, seq, CancellationToken.None))!;
            Assert.Equal(before[seq - 1].Hash, erased.Hash);
            Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Name);
            Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Email);
            Assert.Equal(PersonalValues.Erased, erased.Event.Context!.Ip);
            Assert.Equal(PersonalValues.Erased, erased.Event.Context.UserAgent);
            Assert.Equal(PersonalValues.Erased, erased.Event.Context.Location!.City);
            Assert.Equal("u_erin", erased.Event.Actor.Id);
            Assert.Equal(PersonalValues.Committed, erased.Personal![0]);
            Assert.Equal(before[seq - 1].LeafBytes(), erased.LeafBytes());
            Assert.DoesNotContain("Erin Subject", Encoding.UTF8.GetString(erased.Body), StringComparison.Ordinal);
            Assert.DoesNotContain("erin.subject@", Encoding.UTF8.GetString(erased.Body), StringComparison.OrdinalIgnoreCase);
        }

        var other = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.Equal(before[1].Body, other.Body);
        Assert.Equal("Ada Admin", other.Event.Actor.Name);

        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("actor:erin.subject@example.com", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("ip:198.51.100.77", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        Assert.Single((await store.SearchAsync(tenant, SearchQueryParser.Parse("actor:ada@example.com", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);

        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(4, verified.Events);

        // Erasing again touches nothing; appending after the erasure still verifies (the email index was kept exact).
        Assert.Equal(ErasureCount.None, await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("erin.subject@example.com"), CancellationToken.None));
        await store.AppendAsync(Submit.Request(SubjectEvent(tenant)));
        var after = await VerifySignedAsync(store, tenant, key);
        Assert.True(after.Ok, after.Problem);
    }

    [Fact]
    public async Task Erasing_a_subject_by_actor_id_keeps_inclusion_proofs_and_a_changed_commitment_is_named()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await store.AppendManyAsync(tenant, 40, i => i % 4 == 1 ? SubjectEvent(tenant) : Submit.Event(tenant));
        Assert.True((await VerifySignedAsync(store, tenant, key)).Ok);

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_erin"), CancellationToken.None);
        Assert.Equal(10, count.Events);

        var head = (await store.GetFrontierAsync(tenant, CancellationToken.None))!;
        var erased = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Email);
        Assert.Equal(MerkleHash.Leaf(erased.LeafBytes()!), erased.Hash);
        var proof = await MerkleProofs.InclusionAsync(1, head.Size, store.Nodes(tenant), CancellationToken.None);
        Assert.True(MerkleVerifier.VerifyInclusion(MerkleHash.Leaf(erased.LeafBytes()!), 1, head.Size, proof, head.Root()));
        Assert.True((await VerifySignedAsync(store, tenant, key)).Ok);

        // Someone with write access changes the kept commitment of the erased name: caught at that seq.
        await SqlAsync(tenant, "UPDATE events SET personal = " + HexLiteral(Flip(erased.Personal!, 5)) + " WHERE tenant_id = {tenant} AND seq = 6");
        var tampered = await new ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.False(tampered.Ok);
        Assert.Equal(6, tampered.FirstBadSeq);
        Assert.Contains("personal record", tampered.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Personal_values_received_before_a_time_are_erased_and_later_ones_kept()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await store.AppendAsync(Submit.Request(SubjectEvent(tenant), Submit.Event(tenant)));
        await store.AppendAsync([Submit.Request(SubjectEvent(tenant))], Submit.Now.AddDays(10), CancellationToken.None);

        var count = await ((IPersonalDataStore)store).EraseReceivedBeforeAsync(tenant, Submit.Now.AddDays(5), CancellationToken.None);

        Assert.Equal(2, count.Events);
        Assert.Equal(PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!.Event.Actor.Name);
        Assert.Equal(PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Event.Actor.Name);
        Assert.Equal("Erin Subject", (await store.FindBySeqAsync(tenant, 3, CancellationToken.None))!.Event.Actor.Name);
        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 1;
        return copy;
    }

    /// <summary>A blob literal both stores read: SQLite <c>x'…'</c>, PostgreSQL <c>'\x…'::bytea</c> through <see cref="BlobLiteral"/>.</summary>
    private string HexLiteral(byte[] bytes) => BlobLiteral(Convert.ToHexStringLower(bytes));

    /// <summary>The store's SQL literal of a blob given as hex.</summary>
    protected abstract string BlobLiteral(string hex);

    private static async Task<HashSet<int>> SearchTextTrigramsAsync(IWitnessStore store, string tenant, Func<AuditEvent, bool> which)
    {
        var trigrams = new HashSet<int>();
        for (var seq = 1; (await store.FindBySeqAsync(tenant, seq, CancellationToken.None)) is { } stored; seq++)
        {
            if (which(stored.Event))
            {
                TextTrigrams.Add(EventIndexKeys.From(stored.Event).SearchText, trigrams);
            }
        }

        return trigrams;
    }

    /// <summary>How many of the tenant's free-text blocks hold <paramref name="trigram"/>, read from the block rows of the store.</summary>
    protected abstract Task<long> TextBlocksHoldingAsync(string tenant, int trigram);

    [Fact]
    public async Task Erasing_a_subject_rebuilds_its_free_text_blocks_so_no_block_holds_a_trigram_of_the_erased_email()
    {
        await using var store = await OpenStoreAsync(textBlockEvents: 8, indexTextBacklogAtStart: true);
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 60, i => i % 5 == 2 ? SubjectEvent(tenant, email: "zoe.quixby@example.com") : Submit.Event(tenant));
        var search = SearchQueryParser.Parse("quixby", TimeZoneInfo.Utc);
        Assert.Equal(12, (await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events.Count);

        // The trigrams of the email that no other event's search text holds: before the erasure blocks hold them.
        var own = TextTrigrams.OfTerm("zoe.quixby@example.com").Except(await SearchTextTrigramsAsync(store, tenant, e => e.Actor.Id != "u_erin")).ToArray();
        Assert.NotEmpty(own);
        foreach (var trigram in own)
        {
            Assert.True(await TextBlocksHoldingAsync(tenant, trigram) > 0, $"before: trigram {trigram:x} in no block");
        }

        await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("zoe.quixby@example.com"), CancellationToken.None);

        // Right after the erasure, before a store that rebuilds its blocks apart (IStaleTextBlockStore) has done so, the search
        // finds nothing already: candidates are checked against the text itself. Then the stale blocks are rebuilt.
        Assert.Empty((await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events);
        if (store is IStaleTextBlockStore stale)
        {
            while (await stale.RebuildStaleTextBlocksAsync(tenant, 2, CancellationToken.None) > 0)
            {
            }
        }

        // Afterwards no block holds one that no event's search text (the erased ones' included) still holds.
        var gone = own.Except(await SearchTextTrigramsAsync(store, tenant, _ => true)).ToArray();
        Assert.True(gone.Length >= 5, $"{gone.Length} trigrams of the email left the events");
        foreach (var trigram in gone)
        {
            Assert.Equal(0, await TextBlocksHoldingAsync(tenant, trigram));
        }

        Assert.Empty((await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events);
        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("\"oe.quix\"", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        // The blocks still find what the events now say, and what the other events said.
        // An erased value is left out of the free text of an event whose values are kept beside its row (PersonalSplit's public text).
        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("erased", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        Assert.Equal(48, (await store.SearchAsync(tenant, SearchQueryParser.Parse("\"Ada Admin\"", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
    }

    [Fact]
    public async Task Erasing_a_subject_forgets_what_first_seen_alert_rules_remember_of_it_and_keeps_the_others()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var otherTenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(SubjectEvent(tenant), Submit.Event(tenant)));
        await store.AppendAsync(Submit.Request(SubjectEvent(otherTenant)));
        var alerts = (IAlertStore)store;
        var at = Submit.Now;
        AlertRule Rule(string t) => new()
        {
            Id = "ar_" + Guid.NewGuid().ToString("N"), Tenant = t, Name = "New IP", Kind = AlertKinds.FirstSeen, Query = "",
            Dimension = AlertGroups.Ip, CreatedAt = at, UpdatedAt = at,
        };
        var rule = Rule(tenant);
        var elsewhere = Rule(otherTenant);
        await alerts.SaveAlertRuleAsync(rule, CancellationToken.None);
        await alerts.SaveAlertRuleAsync(elsewhere, CancellationToken.None);
        // AlertService keys an actor by its id, or by the lower-case email of an event without one.
        await alerts.AddSeenValuesAsync(rule.Id, [("u_erin", "198.51.100.77"), ("erin.subject@example.com", "198.51.100.78"), ("u_ada", "192.0.2.1")], CancellationToken.None);
        await alerts.AddSeenValuesAsync(elsewhere.Id, [("u_erin", "198.51.100.77")], CancellationToken.None);

        await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("Erin.Subject@example.com"), CancellationToken.None);

        Assert.Empty(await alerts.GetSeenValuesAsync(rule.Id, "u_erin", CancellationToken.None));
        Assert.Empty(await alerts.GetSeenValuesAsync(rule.Id, "erin.subject@example.com", CancellationToken.None));
        Assert.Equal(["192.0.2.1"], await alerts.GetSeenValuesAsync(rule.Id, "u_ada", CancellationToken.None));
        Assert.Equal(["198.51.100.77"], await alerts.GetSeenValuesAsync(elsewhere.Id, "u_erin", CancellationToken.None)); // another tenant's subject

        // By actor id too.
        await alerts.AddSeenValuesAsync(rule.Id, [("u_erin", "198.51.100.79")], CancellationToken.None);
        await store.AppendAsync(Submit.Request(SubjectEvent(tenant)));
        await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_erin"), CancellationToken.None);
        Assert.Empty(await alerts.GetSeenValuesAsync(rule.Id, "u_erin", CancellationToken.None));
        Assert.Equal(["192.0.2.1"], await alerts.GetSeenValuesAsync(rule.Id, "u_ada", CancellationToken.None));
    }
}
