using System.Net;
using Witness.Catalog;
using Witness.Cli;
using Witness.Server.Catalog;
using Witness.Server.Demo;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

public sealed class CatalogStartupTests
{
    [Fact]
    public void Serve_reads_repeated_presets_for_the_global_layer_and_for_one_tenant()
    {
        var parse = WitnessCli.Build().Parse(["serve", "--preset", "help-desk", "--preset", "live-agent-console:acme", "--preset", "admin-centre:acme"]);

        Assert.Empty(parse.Errors);
        var options = ServeCommand.ReadOptions(parse);
        Assert.Equal(
            [new PresetChoice("help-desk", null), new PresetChoice("live-agent-console", "acme"), new PresetChoice("admin-centre", "acme")],
            options.Presets);
    }

    [Theory]
    [InlineData("help-dsk", "there is no preset 'help-dsk'")]
    [InlineData("help-desk:not a tenant", "'not a tenant' is not a tenant")]
    public void Serve_refuses_an_unknown_preset_or_tenant_naming_it(string preset, string expected)
    {
        var parse = WitnessCli.Build().Parse(["serve", "--preset", preset]);

        var error = Assert.Single(parse.Errors);
        Assert.Contains(expected, error.Message);
        Assert.Contains("--preset", error.Message);
    }

    [Fact]
    public void Serve_refuses_an_invalid_catalog_file_naming_the_file_the_entry_and_the_field()
    {
        var folder = TempFolder.Create("witness-catalog");
        try
        {
            var path = Path.Combine(folder, "broken.json");
            File.WriteAllText(path, """
                {"name":"broken","actions":[
                  {"action":"widget.create","category":"Widgets","type":"activity","crud":"create","template":"Created {{target.name}}","description":"Create widget"},
                  {"action":"widget.delete","category":"Widgets","type":"activity","crud":"remove","template":"Deleted {{target.name}}","description":"Delete widget"}]}
                """);

            var parse = WitnessCli.Build().Parse(["serve", "--catalog", path]);

            var error = Assert.Single(parse.Errors);
            Assert.Contains("broken.json: actions[1].crud: must be one of", error.Message);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Serve_with_an_invalid_catalog_file_exits_non_zero_and_writes_nothing()
    {
        var folder = TempFolder.Create("witness-catalog");
        try
        {
            var path = Path.Combine(folder, "missing.json");

            var exit = await WitnessCli.Build().Parse(["serve", "--data", Path.Combine(folder, "data"), "--urls", "http://127.0.0.1:0", "--catalog", path]).InvokeAsync();

            Assert.NotEqual(0, exit);
            Assert.False(Directory.Exists(Path.Combine(folder, "data")));
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Presets_and_a_catalog_file_named_at_start_are_in_the_catalog_the_api_shows()
    {
        var folder = TempFolder.Create("witness-catalog");
        var path = Path.Combine(folder, "ours.json");
        File.WriteAllText(path, """
            {"name":"ours","actions":[
              {"action":"inbox.create","category":"Mailboxes","type":"activity","crud":"create","template":"Opened mailbox {{target.name}}","description":"Open mailbox"}]}
            """);
        var parse = WitnessCli.Build().Parse(["serve", "--preset", "live-agent-console", "--preset", "help-desk:acme", "--catalog", path]);
        var cli = ServeCommand.ReadOptions(parse);
        try
        {
            await using var server = await RunningServer.StartAsync(o =>
            {
                o.Presets.AddRange(cli.Presets);
                o.CatalogFiles.AddRange(cli.CatalogFiles);
            });
            using var acme = await server.ClientForAsync("acme", "events:read");
            using var other = await server.ClientForAsync(Some.Tenant(), "events:read");

            var seenByAcme = await acme.ListActionsAsync();
            var seenByOther = await other.ListActionsAsync();

            Assert.Equal("Opened mailbox {{target.name}}", seenByOther["inbox.create"].GetProperty("template").GetString());
            Assert.Contains("team.delete", seenByOther.Keys);
            Assert.DoesNotContain("label.assign", seenByOther.Keys);
            Assert.Equal("tenant", seenByAcme["label.assign"].GetProperty("layer").GetString());
            Assert.Equal(CatalogFile.LoadPreset("help-desk").Actions.Count, (await acme.ListActionsAsync("?layer=tenant")).Count);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public void The_demo_presets_render_every_demo_event_without_a_missing_value()
    {
        var catalog = ActionCatalog.CreateWithBuiltInActions();
        foreach (var preset in DemoData.Presets)
        {
            catalog.SetRange(DemoData.Tenant, CatalogFile.LoadPreset(preset).Actions);
        }

        var events = DemoData.Generate(DateTimeOffset.Parse("2023-06-22T15:06:00Z", System.Globalization.CultureInfo.InvariantCulture), 600);

        Assert.All(events, e =>
        {
            var template = catalog.FindTemplate(DemoData.Tenant, e.Action);
            Assert.NotNull(template);
            Assert.Empty(template.MissingPlaceholders(e));
            Assert.Null(e.Description);
        });
        Assert.Equal(15, events.Select(e => e.Action).Distinct().Count());
    }

    [Fact]
    public async Task The_demo_tenant_shows_sentences_rendered_from_its_presets()
    {
        await using var server = await RunningServer.StartAsync(o => o.Demo = true);
        using var client = await server.ClientForAsync(DemoData.Tenant, "events:read");

        var inboxes = await (await client.GetAsync("/v1/events?action=inbox.create&limit=1")).JsonAsync();
        var failures = await (await client.GetAsync("/v1/events?type=integration_failure&limit=1")).JsonAsync();

        Assert.Matches(@"^Created a new inbox \(#\d+\)$", inboxes.GetProperty("events")[0].GetProperty("description").GetString());
        Assert.Matches(@"^Integration \w+ \(crm\) failed with auth: OAuth token expired$", failures.GetProperty("events")[0].GetProperty("description").GetString());
        var tenantLayer = await client.ListActionsAsync("?layer=tenant");
        Assert.Contains("agent.role.change", tenantLayer.Keys);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/actions/facets")).StatusCode);
    }
}
