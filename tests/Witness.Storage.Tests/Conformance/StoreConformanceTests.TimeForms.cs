using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Events;
using Witness.Integrity;
using Witness.Privacy;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Event times in the two forms (docs/export-format.md, Time forms) on every store.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Events_stored_with_trimmed_times_keep_their_bytes_verify_take_retries_and_erase_beside_new_ones()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        JsonObject Sent(string id, string? occurredAt)
        {
            var e = SubjectEvent(tenant);
            e["id"] = id;
            e["metadata"] = new JsonObject { ["n"] = 1 }; // the same body on a retry (Submit.Event numbers each one)
            e["targets"] = new JsonArray();
            if (occurredAt is null)
            {
                e.Remove("occurred_at");
            }
            else
            {
                e["occurred_at"] = occurredAt;
            }

            return e;
        }

        // As earlier releases stored them (trimmed times; the store's received time is a whole second), then one stored now.
        var earlier = Submit.Request(Sent("old-1", "2025-06-01T10:00:00Z"), Sent("old-2", "2025-06-01T10:00:00.500000Z"), Sent("old-3", null))
            .Select(s => s with { Event = s.Event with { TimeForm = TimeForm.Trimmed } }).ToArray();
        await store.AppendAsync(earlier);
        await store.AppendAsync(Submit.Request(Sent("new-1", "2025-06-01T10:00:00.5Z")));

        var old1 = (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!;
        var old2 = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        var new1 = (await store.FindBySeqAsync(tenant, 4, CancellationToken.None))!;
        Assert.Contains("\"received_at\":\"2025-06-15T12:00:00Z\",\"occurred_at\":\"2025-06-01T10:00:00Z\"", Encoding.UTF8.GetString(old1.Body), StringComparison.Ordinal);
        Assert.Contains("\"occurred_at\":\"2025-06-01T10:00:00.5Z\"", Encoding.UTF8.GetString(old2.Body), StringComparison.Ordinal);
        Assert.Contains("\"received_at\":\"2025-06-15T12:00:00.000000Z\",\"occurred_at\":\"2025-06-01T10:00:00.500000Z\"", Encoding.UTF8.GetString(new1.Body), StringComparison.Ordinal);
        Assert.Equal(TimeForm.Trimmed, old2.Event.TimeForm);
        Assert.Equal(old2.Body, CanonicalEvent.Write(old2.Event));
        Assert.True((await VerifySignedAsync(store, tenant, key)).Ok);

        // Retries with the times in another text are the stored events, of either form; another time is a conflict.
        var retried = (await store.AppendAsync(Submit.Request(Sent("old-2", "2025-06-01T10:00:00.5Z"), Sent("old-3", null), Sent("new-1", "2025-06-01T12:00:00.500+02:00"))))[0];
        Assert.Null(retried.Conflict);
        Assert.Equal([2L, 3L, 4L], retried.Events.Select(e => e.Seq));
        Assert.All(retried.Events, e => Assert.True(e.Replayed));
        Assert.NotNull((await store.AppendAsync(Submit.Request(Sent("old-1", "2025-06-01T10:00:01Z"))))[0].Conflict);

        // Erasure rewrites bodies of both forms and keeps every leaf; the old ones keep their times' text.
        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("erin.subject@example.com"), CancellationToken.None);
        Assert.Equal(new ErasureCount(4, 0), count);
        var erased = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.Equal(old2.Hash, erased.Hash);
        Assert.Equal(old2.LeafBytes(), erased.LeafBytes());
        Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Name);
        Assert.Contains("\"occurred_at\":\"2025-06-01T10:00:00.5Z\"", Encoding.UTF8.GetString(erased.Body), StringComparison.Ordinal);
        Assert.Equal(new1.Hash, (await store.FindBySeqAsync(tenant, 4, CancellationToken.None))!.Hash);
        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(4, verified.Events);
        Assert.Equal(MerkleHash.Leaf(erased.LeafBytes()!), erased.Hash);
    }
}

