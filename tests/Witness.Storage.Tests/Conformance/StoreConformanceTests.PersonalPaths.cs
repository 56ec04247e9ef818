using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Catalog;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Privacy;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Catalog-marked personal paths (docs/erasure.md) on every store.</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly PersonalPaths RefundPaths = PersonalPaths.Of(["targets[].name", "metadata.customer.email", "changes.after.email"])!;

    private static JsonObject RefundEvent(string tenant, string actorId) =>
        Submit.Event(tenant, "order.refund", e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = actorId, ["name"] = "Erin Subject", ["email"] = "erin@example.com" };
            e["targets"] = new JsonArray(new JsonObject { ["type"] = "customer", ["id"] = "c_1", ["name"] = "Carl Customer" });
            e["metadata"] = new JsonObject { ["customer"] = new JsonObject { ["email"] = "carl@example.com", ["tier"] = "gold" } };
            e["changes"] = new JsonObject { ["before"] = new JsonObject { ["email"] = "old@example.com" }, ["after"] = new JsonObject { ["email"] = "carl@example.com" } };
        });

    [Fact]
    public async Task A_catalog_entry_keeps_the_paths_it_marks_personal()
    {
        await using var store = await OpenStoreAsync();
        var catalog = (ICatalogStore)store;
        var tenant = Submit.Tenant();
        var marked = Entry("order.refund", "Refunded") with { Personal = ["targets[].name", "metadata.customer.email"] };
        await catalog.UpsertCatalogAsync(tenant, [marked, Entry("order.create", "Ordered")], Submit.Now, CancellationToken.None);

        var mine = (await catalog.ListCatalogAsync(CancellationToken.None)).Where(e => e.Tenant == tenant).ToDictionary(e => e.Definition.Action);
        Assert.Equal(["targets[].name", "metadata.customer.email"], mine["order.refund"].Definition.Personal);
        Assert.Equal(marked, mine["order.refund"].Definition);
        Assert.Empty(mine["order.create"].Definition.Personal);

        await catalog.UpsertCatalogAsync(tenant, [Entry("order.refund", "Refunded")], Submit.Now, CancellationToken.None);
        Assert.Empty((await catalog.ListCatalogAsync(CancellationToken.None)).Single(e => e.Tenant == tenant && e.Definition.Action == "order.refund").Definition.Personal);
    }

    [Fact]
    public async Task Values_at_catalog_marked_paths_enter_the_leaf_as_commitments_and_are_erased_with_the_subject()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        var request = Submit.Request(RefundEvent(tenant, "u_erin"), RefundEvent(tenant, "u_other"), Submit.Event(tenant));
        await store.AppendAsync([.. request.Select((s, i) => i < 2 ? s with { MarkedPaths = RefundPaths } : s)]);

        var first = (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!;
        Assert.Equal("Carl Customer", first.Event.Targets[0].Name);
        Assert.Equal("carl@example.com", first.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal(PersonalValues.Salted | PersonalValues.Marked, first.Personal![0]);
        var leaf = Encoding.UTF8.GetString(first.LeafBytes()!);
        Assert.DoesNotContain("Carl Customer", leaf, StringComparison.Ordinal);
        Assert.DoesNotContain("carl@example.com", leaf, StringComparison.Ordinal);
        Assert.Contains("old@example.com", leaf, StringComparison.Ordinal); // changes.before is not marked
        Assert.Contains("\"tier\":\"gold\"", leaf, StringComparison.Ordinal);
        Assert.Equal(MerkleHash.Leaf(first.LeafBytes()!), first.Hash);
        Assert.Equal(PersonalValues.Salted, (await store.FindBySeqAsync(tenant, 3, CancellationToken.None))!.Personal![0]);
        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);

        var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_erin"), CancellationToken.None);

        Assert.Equal(1, count.Events);
        var erased = (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!;
        Assert.Equal(first.Hash, erased.Hash);
        Assert.Equal(first.LeafBytes(), erased.LeafBytes());
        Assert.Equal(PersonalValues.Erased, erased.Event.Targets[0].Name);
        Assert.Equal(PersonalValues.Erased, erased.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal(PersonalValues.Erased, erased.Event.Changes!.After!.Value.GetProperty("email").GetString());
        Assert.Equal("old@example.com", erased.Event.Changes.Before!.Value.GetProperty("email").GetString());
        Assert.Equal("gold", erased.Event.Metadata.Value.GetProperty("customer").GetProperty("tier").GetString());
        Assert.DoesNotContain("carl@example.com", Encoding.UTF8.GetString(erased.Body), StringComparison.Ordinal);
        Assert.True(PersonalValues.IsCommitted(erased.Personal!));
        Assert.Equal("Carl Customer", (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Event.Targets[0].Name);

        var after = await VerifySignedAsync(store, tenant, key);
        Assert.True(after.Ok, after.Problem);
        Assert.Equal(ErasureCount.None, await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByActorId("u_erin"), CancellationToken.None));
    }

    [Fact]
    public async Task Personal_data_days_erase_the_values_at_catalog_marked_paths_too()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        var request = Submit.Request(RefundEvent(tenant, "u_erin"));
        await store.AppendAsync([.. request.Select(s => s with { MarkedPaths = RefundPaths })]);

        var count = await ((IPersonalDataStore)store).EraseReceivedBeforeAsync(tenant, Submit.Now.AddDays(1), CancellationToken.None);

        Assert.Equal(1, count.Events);
        var erased = (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!;
        Assert.Equal(PersonalValues.Erased, erased.Event.Actor.Email);
        Assert.Equal(PersonalValues.Erased, erased.Event.Targets[0].Name);
        Assert.Equal(PersonalValues.Erased, erased.Event.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.DoesNotContain("carl@example.com", Encoding.UTF8.GetString(erased.Body), StringComparison.Ordinal);
        var verified = await VerifySignedAsync(store, tenant, key);
        Assert.True(verified.Ok, verified.Problem);
    }
}
