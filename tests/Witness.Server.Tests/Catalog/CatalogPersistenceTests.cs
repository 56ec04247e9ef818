using System.Net;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

public sealed class CatalogPersistenceTests
{
    [Fact]
    public async Task Tenant_and_global_entries_survive_a_restart()
    {
        var tenant = Some.Tenant();
        var data = TempFolder.Create("witness-catalog-restart");
        try
        {
            string tenantKey;
            await using (var first = await RunningServer.StartAsync(dataDirectory: data))
            {
                tenantKey = await first.CreateKeyAsync(tenant);
                using var admin = first.Client(tenantKey);
                using var global = first.Client(await first.CreateKeyAsync(null, "admin"));
                await admin.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"));
                await global.PutActionAsync("gadget.create", CatalogRequests.Entry("Created gadget (#{{target.id}})", category: "Gadgets"));
                await global.PutActionAsync("audit_log.view", CatalogRequests.Entry("Opened the audit log", category: "Audit log", type: "access", crud: "read", description: "View audit log"));
            }

            await using var second = await RunningServer.StartAsync(dataDirectory: data);
            using var client = second.Client(tenantKey);
            var actions = await client.ListActionsAsync();
            Assert.Equal("tenant", actions["widget.create"].GetProperty("layer").GetString());
            Assert.Equal("Created gadget (#{{target.id}})", actions["gadget.create"].GetProperty("template").GetString());
            Assert.Equal("Opened the audit log", actions["audit_log.view"].GetProperty("template").GetString());
            var stored = await client.SendAndReadAsync(Some.Event(tenant, "gadget.create", e => { e.Remove("category"); e["targets"]![0]!["id"] = "77"; }));
            Assert.Equal("Created gadget (#77)", stored.GetProperty("description").GetString());
            Assert.Equal("Gadgets", stored.GetProperty("category").GetString());
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    [Fact]
    public async Task An_entry_set_through_one_instance_reaches_another_on_the_same_database()
    {
        var tenant = Some.Tenant();
        await using var first = await RunningServer.StartAsync(o => o.CatalogRefreshInterval = TimeSpan.FromMilliseconds(50));
        await using var second = await RunningServer.StartAsync(o => o.CatalogRefreshInterval = TimeSpan.FromMilliseconds(50), first.DataDirectory);
        var key = await first.CreateKeyAsync(tenant);
        using var viaFirst = first.Client(key);
        using var viaSecond = second.Client(key);

        Assert.Equal(HttpStatusCode.Created, (await viaFirst.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"))).StatusCode);

        // The second instance re-reads the catalog on its own schedule; wait for it rather than for a fixed time.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!(await viaSecond.ListActionsAsync()).ContainsKey("widget.create"))
        {
            await Task.Delay(20, patience.Token);
        }

        var stored = await viaSecond.SendAndReadAsync(Some.Event(tenant, "widget.create"));
        Assert.Equal("Created widget Support", stored.GetProperty("description").GetString());
    }
}
