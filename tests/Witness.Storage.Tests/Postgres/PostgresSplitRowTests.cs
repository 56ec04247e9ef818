using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Privacy;
using Witness.Search;
using Witness.Storage.Postgres;
using Witness.Storage.Tests.Conformance;
using Witness.Verification;

namespace Witness.Storage.Tests.Postgres;

/// <summary>Split rows on PostgreSQL (migration 029): an event's personal values beside its events row, erased without writing that row.</summary>
public sealed class PostgresSplitRowTests
{
    private static JsonObject Subject(string tenant) =>
        Submit.Event(tenant, change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_erin", ["name"] = "Erin Subject", ["email"] = "Erin.Subject@Example.com" };
            e["context"] = new JsonObject { ["ip"] = "198.51.100.77", ["location"] = new JsonObject { ["country"] = "DE", ["city"] = "Bonn" } };
        });

    [Fact]
    public async Task An_erasure_deletes_the_side_rows_writes_no_events_row_and_leaves_no_erased_value_in_a_live_row()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString, TextBlockEvents = 2 });
        await store.InitializeAsync(CancellationToken.None);
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(Subject(tenant), Submit.Event(tenant), Subject(tenant), Submit.Event(tenant), Subject(tenant)));

        // The events rows hold the leaf and no value: no email, no IP, no name or city in the body or the public text (the actor
        // id u_erin is not personal and stays).
        const string ValuesInEvents =
            "SELECT count(*) FROM events WHERE actor_email IS NOT NULL OR ip IS NOT NULL OR position('Erin' IN convert_from(body, 'UTF8')) > 0 " +
            "OR position('198.51.100.77' IN convert_from(body, 'UTF8')) > 0 OR position('erin subject' IN search_text) > 0 OR position('bonn' IN search_text) > 0";
        Assert.Equal(0L, await database.ScalarAsync(ValuesInEvents));
        Assert.Equal(5L, await database.ScalarAsync("SELECT count(*) FROM event_personal"));
        Assert.Equal(3L, await database.ScalarAsync("SELECT count(*) FROM event_personal WHERE email = 'erin.subject@example.com'"));
        var before = await database.ScalarAsync("SELECT string_agg(seq || ':' || xmin::text || ':' || ctid::text, ',' ORDER BY seq) FROM events");

        // Found through the side table, shown with the values filled back in.
        var byEmail = SearchQueryParser.Parse("actor:erin.subject@example.com", TimeZoneInfo.Utc);
        Assert.Equal(3, (await store.SearchAsync(tenant, byEmail, 50, null, CancellationToken.None)).Events.Count);
        Assert.Equal(3, (await store.SearchAsync(tenant, SearchQueryParser.Parse("bonn", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
        Assert.Equal("Erin Subject", (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!.Event.Actor.Name);

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("erin.subject@example.com"), CancellationToken.None);
        Assert.Equal(3, count.Events);

        // No events row was written: each keeps its row version (xmin) and place (ctid).
        Assert.Equal(before, await database.ScalarAsync("SELECT string_agg(seq || ':' || xmin::text || ':' || ctid::text, ',' ORDER BY seq) FROM events"));
        // The subject's side rows are gone; the other actor's stay. No live row holds an erased value.
        Assert.Equal(2L, await database.ScalarAsync("SELECT count(*) FROM event_personal"));
        Assert.Equal(0L, await database.ScalarAsync(ValuesInEvents));
        Assert.Equal(0L, await database.ScalarAsync(
            "SELECT count(*) FROM event_personal WHERE position('erin' IN text) > 0 OR position('Erin' IN encode(record, 'escape')) > 0 OR email LIKE 'erin%'"));

        // Every surface reads [erased]; searches by the erased email or IP find nothing, before and after the stale blocks are rebuilt.
        var erased = (await store.FindBySeqAsync(tenant, 3, CancellationToken.None))!;
        Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Name);
        Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Email);
        Assert.Equal(PersonalValues.Erased, erased.Event.Context!.Ip);
        Assert.Equal("Ada Admin", (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Event.Actor.Name);
        Assert.Empty((await store.SearchAsync(tenant, byEmail, 50, null, CancellationToken.None)).Events);
        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("ip:198.51.100.77", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        Assert.True(await database.ScalarAsync("SELECT count(*) FROM text_blocks_stale") is > 0L);
        while (await ((IStaleTextBlockStore)store).RebuildStaleTextBlocksAsync(tenant, 1, CancellationToken.None) > 0)
        {
        }

        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM text_blocks_stale"));
        Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("bonn", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
        Assert.Equal(2, (await store.SearchAsync(tenant, SearchQueryParser.Parse("milan", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);

        // The log still verifies, each leaf unchanged.
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await new CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        var verified = await new ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.True(verified.Ok, verified.Problem);
    }

    [Fact]
    public async Task A_changed_side_row_is_caught_by_verification_and_named()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(Subject(tenant), Subject(tenant)));
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await new CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        var verifier = new ChainVerifier(store, key.Key, key.KeyName);
        Assert.True((await verifier.VerifyAsync(tenant, CancellationToken.None)).Ok);

        await database.ScalarAsync("UPDATE event_personal SET text = text || 'mallory' || chr(10) WHERE seq = 2");
        var texts = await verifier.VerifyAsync(tenant, CancellationToken.None);
        Assert.False(texts.Ok);
        Assert.Contains("search_text", texts.Problem, StringComparison.Ordinal);

        await database.ScalarAsync("UPDATE event_personal SET text = replace(text, 'mallory' || chr(10), ''), record = set_byte(record, 2, (get_byte(record, 2) + 1) % 256) WHERE seq = 2");
        var values = await verifier.VerifyAsync(tenant, CancellationToken.None);
        Assert.False(values.Ok);
        Assert.Contains("event 2", values.Problem, StringComparison.Ordinal);
    }
}
