using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Events;
using Witness.Integrity;
using Witness.Privacy;

namespace Witness.Storage.Tests.Conformance;

/// <summary>An erasure by email reaching the values at catalog-marked paths of other actors' events (docs/erasure.md), on every store.</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly PersonalPaths CustomerPaths = PersonalPaths.Of(["targets[].name", "metadata.customer.email"])!;

    private static JsonObject CustomerEvent(string tenant, string actorId, string actorEmail, string customerEmail) =>
        Submit.Event(tenant, "order.refund", e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = actorId, ["name"] = $"Agent {actorId}", ["email"] = actorEmail };
            e["targets"] = new JsonArray(new JsonObject { ["type"] = "customer", ["id"] = "c_1", ["name"] = "Carl Customer" });
            e["metadata"] = new JsonObject { ["customer"] = new JsonObject { ["email"] = customerEmail, ["tier"] = "gold" } };
        });

    [Fact]
    public async Task An_erasure_by_email_erases_only_the_marked_values_holding_it_in_other_actors_events_and_every_leaf_stays()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        // 1: before the marking (no marked paths); 2: bob refunds ada; 3: ada's own event; 4: bob refunds someone else.
        await store.AppendAsync(Submit.Request(CustomerEvent(tenant, "u_bob", "bob@example.com", "ada@example.com")));
        var marked = Submit.Request(
            CustomerEvent(tenant, "u_bob", "bob@example.com", "Ada Lovelace <ADA@example.com>"),
            CustomerEvent(tenant, "u_ada", "ada@example.com", "carl@example.com"),
            CustomerEvent(tenant, "u_bob", "bob@example.com", "carl@example.com"));
        await store.AppendAsync([.. marked.Select(s => s with { MarkedPaths = CustomerPaths })]);
        var before = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("ada@EXAMPLE.com"), CancellationToken.None);

        Assert.Equal(2, count.Events);
        var bobs = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.Equal(PersonalValues.Erased, bobs.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal("gold", bobs.Event.Metadata.Value.GetProperty("customer").GetProperty("tier").GetString());
        Assert.Equal("Carl Customer", bobs.Event.Targets[0].Name);
        Assert.Equal("bob@example.com", bobs.Event.Actor.Email);
        Assert.Equal("Agent u_bob", bobs.Event.Actor.Name);
        Assert.Equal(PersonalValues.Partly | PersonalValues.Marked, bobs.Personal![0]);
        Assert.Equal(before.Hash, bobs.Hash);
        Assert.Equal(before.LeafBytes(), bobs.LeafBytes());
        Assert.DoesNotContain("ada@example.com", Encoding.UTF8.GetString(bobs.Body), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 3, CancellationToken.None))!.Event.Actor.Email);
        Assert.Equal("carl@example.com", (await store.FindBySeqAsync(tenant, 4, CancellationToken.None))!.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        // Sent before the marking: its metadata is not personal, so it keeps the address.
        Assert.Equal("ada@example.com", (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);

        // The index forgot the address: erasing again touches nothing; erasing bob takes the rest of his event.
        Assert.Equal(0, (await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail("ada@example.com"), CancellationToken.None)).Events);
        Assert.Equal(3, (await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_bob"), CancellationToken.None)).Events);
        var erased = (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!;
        Assert.True(PersonalValues.IsCommitted(erased.Personal!));
        Assert.Equal(PersonalValues.Erased, erased.Event.Targets[0].Name);
        Assert.Equal(before.LeafBytes(), erased.LeafBytes());
        var after = await VerifySignedAsync(store, tenant, key);
        Assert.True(after.Ok, after.Problem);
    }

    [Fact]
    public async Task An_erasure_by_actor_id_reaches_the_marked_values_holding_the_emails_its_events_carried()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var marked = Submit.Request(
            CustomerEvent(tenant, "u_ada", "ada@example.com", "carl@example.com"),
            CustomerEvent(tenant, "u_bob", "bob@example.com", "ada@example.com"));
        await store.AppendAsync([.. marked.Select(s => s with { MarkedPaths = CustomerPaths })]);

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_ada"), CancellationToken.None);

        Assert.Equal(2, count.Events);
        Assert.Equal(PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal("bob@example.com", (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Event.Actor.Email);
    }
}
