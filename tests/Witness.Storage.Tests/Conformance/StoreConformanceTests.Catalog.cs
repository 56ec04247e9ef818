using Witness.Catalog;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Catalog_entries_are_kept_per_layer_and_replaced_by_action()
    {
        await using var store = await OpenStoreAsync();
        var catalog = (ICatalogStore)store;
        var tenant = Submit.Tenant();
        var globalAction = $"gadget.{Guid.NewGuid():N}";
        var first = new DateTimeOffset(2025, 6, 1, 8, 0, 0, 123, TimeSpan.Zero);
        var later = first.AddMinutes(5);

        await catalog.UpsertCatalogAsync(tenant, [Entry("widget.create", "Created widget {{target.name}}"), Entry("widget.delete", "Deleted widget")], first, CancellationToken.None);
        await catalog.UpsertCatalogAsync(null, [Entry(globalAction, "Made a gadget")], first, CancellationToken.None);
        await catalog.UpsertCatalogAsync(tenant, [Entry("widget.create", "Built widget {{target.name}} ’✓")], later, CancellationToken.None);

        var mine = (await catalog.ListCatalogAsync(CancellationToken.None)).Where(e => e.Tenant == tenant || e.Definition.Action == globalAction).ToList();
        Assert.Equal([(null, globalAction), (tenant, "widget.create"), (tenant, "widget.delete")], mine.Select(e => (e.Tenant, e.Definition.Action)));
        Assert.Equal(Entry("widget.create", "Built widget {{target.name}} ’✓"), mine[1].Definition);
        Assert.Equal(later, mine[1].UpdatedAt);
        Assert.Equal(first, mine[2].UpdatedAt);

        Assert.True(await catalog.DeleteCatalogEntryAsync(tenant, "widget.delete", CancellationToken.None));
        Assert.False(await catalog.DeleteCatalogEntryAsync(tenant, "widget.delete", CancellationToken.None));
        Assert.False(await catalog.DeleteCatalogEntryAsync(tenant, globalAction, CancellationToken.None));
        Assert.True(await catalog.DeleteCatalogEntryAsync(null, globalAction, CancellationToken.None));
        var left = (await catalog.ListCatalogAsync(CancellationToken.None)).Where(e => e.Tenant == tenant || e.Definition.Action == globalAction);
        Assert.Equal(["widget.create"], left.Select(e => e.Definition.Action));
    }

    [Fact]
    public async Task The_catalog_version_changes_with_every_write_and_every_store_on_the_database_sees_it()
    {
        await using var store = await OpenStoreAsync();
        await using var other = await OpenStoreAsync();
        var catalog = (ICatalogStore)store;
        var tenant = Submit.Tenant();

        var before = await ((ICatalogStore)other).CatalogVersionAsync(CancellationToken.None);
        await catalog.UpsertCatalogAsync(tenant, [Entry("widget.create", "Created widget")], Submit.Now, CancellationToken.None);
        var afterUpsert = await ((ICatalogStore)other).CatalogVersionAsync(CancellationToken.None);
        Assert.NotEqual(before, afterUpsert);
        Assert.Contains(await ((ICatalogStore)other).ListCatalogAsync(CancellationToken.None), e => e.Tenant == tenant);

        Assert.False(await catalog.DeleteCatalogEntryAsync(tenant, "widget.missing", CancellationToken.None));
        Assert.Equal(afterUpsert, await ((ICatalogStore)other).CatalogVersionAsync(CancellationToken.None));
        Assert.True(await catalog.DeleteCatalogEntryAsync(tenant, "widget.create", CancellationToken.None));
        Assert.NotEqual(afterUpsert, await ((ICatalogStore)other).CatalogVersionAsync(CancellationToken.None));
    }

    private static ActionDefinition Entry(string action, string template) => new(action, "Widgets", "activity", "create", template, "Create widget");
}
