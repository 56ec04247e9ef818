using System.Text.Json.Nodes;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Facets_list_the_actions_emails_categories_and_types_of_one_tenants_events()
    {
        await using var store = await OpenStoreAsync();
        var facets = (IFacetStore)store;
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();
        await store.AppendAsync(
            Submit.Request(
                Submit.Event(tenant, "inbox.create"),
                Submit.Event(tenant, "inbox.create", e => e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_2", ["email"] = "Bob@Example.com" }),
                Submit.Event(tenant, "user.login", e => { e["category"] = "Sign-ins"; e["type"] = "access"; }),
                Submit.Event(tenant, "webhook.failed", e => { e.Remove("category"); e["type"] = "webhook_failure"; e["actor"] = new JsonObject { ["type"] = "system" }; })),
            Submit.Request(Submit.Event(other, "billing.charge", e => { e["category"] = "Billing"; e["actor"] = new JsonObject { ["type"] = "user", ["email"] = "eve@other.com" }; })));

        var found = await facets.ListFacetsAsync(tenant, CancellationToken.None);

        Assert.Equal(["inbox.create", "user.login", "webhook.failed"], found.Actions);
        Assert.Equal(["ada@example.com", "bob@example.com"], found.ActorEmails);
        Assert.Equal(["Inboxes", "Sign-ins"], found.Categories);
        Assert.Equal(["access", "activity", "webhook_failure"], found.Types);
        Assert.Equal(EventFacets.Empty, await facets.ListFacetsAsync(Submit.Tenant(), CancellationToken.None), FacetsComparer);
    }

    [Fact]
    public async Task Facets_list_at_most_the_first_values_in_byte_order()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var count = EventFacets.MaxValues + 20;
        await store.AppendManyAsync(tenant, count, i => Submit.Event(tenant, $"a{i:D4}.create", e => e["actor"] = new JsonObject { ["type"] = "user", ["email"] = $"U{i:D4}@example.com" }));

        var found = await ((IFacetStore)store).ListFacetsAsync(tenant, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, EventFacets.MaxValues).Select(i => $"a{i:D4}.create"), found.Actions);
        Assert.Equal(Enumerable.Range(0, EventFacets.MaxValues).Select(i => $"u{i:D4}@example.com"), found.ActorEmails);
    }

    private static readonly IEqualityComparer<EventFacets> FacetsComparer = EqualityComparer<EventFacets>.Create(
        (a, b) => a!.Actions.SequenceEqual(b!.Actions) && a.Categories.SequenceEqual(b.Categories) && a.Types.SequenceEqual(b.Types) && a.ActorEmails.SequenceEqual(b.ActorEmails));
}
