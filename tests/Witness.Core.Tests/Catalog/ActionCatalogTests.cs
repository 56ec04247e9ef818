using Witness.Catalog;
using Witness.Events;
using Xunit;
using static Witness.Tests.Catalog.CatalogSamples;

namespace Witness.Tests.Catalog;

public sealed class ActionCatalogTests
{
    private static readonly ActionDefinition GlobalInboxCreate =
        new("inbox.create", "Inboxes", LogTypes.Activity, CrudOperations.Create, "Created a new inbox (#{{target.id}})", "Create inbox");

    private static readonly ActionDefinition AcmeInboxCreate =
        GlobalInboxCreate with { Category = "Mailboxes", Template = "Opened mailbox {{target.name}}" };

    private static readonly ActionDefinition Login =
        new("user.login", "Authentication", LogTypes.Access, CrudOperations.Other, "Logged in from {{context.ip}}", "Login");

    [Fact]
    public void A_tenant_entry_overrides_the_global_one_and_another_tenant_does_not_see_it()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        catalog.Set("acme", AcmeInboxCreate);

        Assert.Equal("Mailboxes", catalog.Find("acme", "inbox.create")?.Category);
        Assert.Equal("Inboxes", catalog.Find("globex", "inbox.create")?.Category);
    }

    [Fact]
    public void A_tenant_only_entry_is_invisible_to_other_tenants()
    {
        var catalog = new ActionCatalog();
        catalog.Set("acme", Login);

        Assert.NotNull(catalog.Find("acme", "user.login"));
        Assert.Null(catalog.Find("globex", "user.login"));
        Assert.Empty(catalog.List("globex"));
    }

    [Fact]
    public void Removing_a_tenant_override_shows_the_global_entry_again()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        catalog.Set("acme", AcmeInboxCreate);

        Assert.True(catalog.Remove("acme", "inbox.create"));
        Assert.False(catalog.Remove("acme", "inbox.create"));
        Assert.Equal(GlobalInboxCreate, catalog.Find("acme", "inbox.create"));
    }

    [Fact]
    public void The_merged_list_holds_the_tenant_entries_over_the_global_ones_ordered_by_action()
    {
        var catalog = new ActionCatalog();
        catalog.SetRange(null, [Login, GlobalInboxCreate]);
        catalog.Set("acme", AcmeInboxCreate);

        Assert.Equal([AcmeInboxCreate, Login], catalog.List("acme"));
        Assert.Equal([GlobalInboxCreate, Login], catalog.List("globex"));
        Assert.Equal([AcmeInboxCreate], catalog.ListLayer("acme"));
        Assert.Equal([GlobalInboxCreate, Login], catalog.ListLayer(null));
    }

    [Fact]
    public void An_invalid_entry_is_refused_with_the_field_named_and_the_catalog_is_unchanged()
    {
        var catalog = new ActionCatalog();
        catalog.Set("acme", GlobalInboxCreate);

        var ex = Assert.Throws<CatalogException>(() => catalog.Set("acme", GlobalInboxCreate with { Template = "Created {{foo.bar}}" }));

        Assert.Equal("template", Assert.Single(ex.Errors).Field);
        Assert.Equal(GlobalInboxCreate, catalog.Find("acme", "inbox.create"));
    }

    [Fact]
    public void Setting_several_entries_is_all_or_nothing()
    {
        var catalog = new ActionCatalog();

        var ex = Assert.Throws<CatalogException>(() => catalog.SetRange("acme", [Login, GlobalInboxCreate with { Crud = "upsert" }]));

        Assert.Equal("[1].crud", Assert.Single(ex.Errors).Field);
        Assert.Null(catalog.Find("acme", "user.login"));
    }

    [Fact]
    public void An_invalid_tenant_name_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ActionCatalog().Set("not a tenant", Login));
    }

    [Fact]
    public void The_built_in_catalog_knows_the_audit_logs_own_actions_for_every_tenant()
    {
        var catalog = ActionCatalog.CreateWithBuiltInActions();

        foreach (var action in new[] { "audit_log.view", "audit_log.export", "log.purge", "alert.fired", "console.sign_in", "console.sign_out", "console.sign_in_failed", "legal_hold.set", "legal_hold.release" })
        {
            Assert.Equal("Audit log", catalog.Find("any-tenant", action)?.Category);
        }

        Assert.Equal(LogTypes.Access, catalog.Find("acme", "audit_log.export")?.Type);
        Assert.All(BuiltInActions.All, d => Assert.Empty(d.Validate()));
    }

    [Fact]
    public void Describe_renders_the_template_of_a_known_action()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);

        Assert.Equal("Created a new inbox (#24725)", catalog.Describe("acme", Event() with { Targets = [Target("inbox", "24725")] }));
    }

    [Fact]
    public void Describe_falls_back_to_the_events_description_and_then_to_the_action_name()
    {
        var catalog = new ActionCatalog();

        Assert.Equal("Did a thing", catalog.Describe("acme", Event("thing.do") with { Description = "Did a thing" }));
        Assert.Equal("thing.do", catalog.Describe("acme", Event("thing.do")));
    }

    [Fact]
    public void Apply_fills_category_type_and_description_the_event_left_out()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, Login);
        var e = Event("user.login") with { Context = new EventContext { Ip = "203.0.113.7" } };

        var applied = catalog.Apply("acme", e, typeWasGiven: false);

        Assert.Equal("Authentication", applied.Category);
        Assert.Equal(LogTypes.Access, applied.Type);
        Assert.Equal("Logged in from 203.0.113.7", applied.Description);
    }

    [Fact]
    public void Apply_keeps_what_the_event_gave()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, Login);
        var e = Event("user.login") with { Category = "Security", Description = "Signed in with SSO" };

        var applied = catalog.Apply("acme", e, typeWasGiven: true);

        Assert.Equal("Security", applied.Category);
        Assert.Equal(LogTypes.Activity, applied.Type);
        Assert.Equal("Signed in with SSO", applied.Description);
    }

    [Fact]
    public void Apply_without_knowing_whether_the_type_was_given_treats_the_default_activity_as_left_out()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, Login);

        Assert.Equal(LogTypes.Access, catalog.Apply("acme", Event("user.login")).Type);
        Assert.Equal(LogTypes.WebhookFailure, catalog.Apply("acme", Event("user.login") with { Type = LogTypes.WebhookFailure }).Type);
    }

    [Fact]
    public void Apply_uses_the_tenants_own_entry_and_leaves_unknown_actions_unchanged()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        catalog.Set("acme", AcmeInboxCreate);
        var e = Event() with { Targets = [Target("inbox", "24725", "Support")] };

        Assert.Equal("Opened mailbox Support", catalog.Apply("acme", e, typeWasGiven: false).Description);
        Assert.Equal("Created a new inbox (#24725)", catalog.Apply("globex", e, typeWasGiven: false).Description);
        var unknown = Event("thing.do");
        Assert.Same(unknown, catalog.Apply("acme", unknown, typeWasGiven: false));
    }

    [Fact]
    public void Apply_renders_a_missing_value_visibly()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);

        Assert.Equal("Created a new inbox (#?)", catalog.Apply("acme", Event(), typeWasGiven: false).Description);
    }

    [Fact]
    public void The_described_segments_link_the_target_when_the_description_came_from_the_template()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        var e = catalog.Apply("acme", Event() with { Targets = [Target("inbox", "24725", "Support", "https://app.example.com/inboxes/24725")] });

        var segments = catalog.DescribeSegments("acme", e);

        Assert.Contains(segments, s => s.Text == "24725" && s.LinkUrl == "https://app.example.com/inboxes/24725");
    }

    [Fact]
    public void A_description_the_client_wrote_is_shown_as_one_plain_segment()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        var e = Event() with { Description = "Made an inbox", Targets = [Target("inbox", "1", null, "https://app.example.com/inboxes/1")] };

        Assert.Equal([new TemplateSegment("Made an inbox")], catalog.DescribeSegments("acme", e));
        Assert.Equal([new TemplateSegment("thing.do")], catalog.DescribeSegments("acme", Event("thing.do")));
    }

    [Fact]
    public async Task Readers_see_whole_snapshots_while_entries_change()
    {
        var catalog = new ActionCatalog();
        catalog.Set(null, GlobalInboxCreate);
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                catalog.Set("acme", AcmeInboxCreate with { Description = $"Create inbox {i}" });
                catalog.Remove("acme", "inbox.create");
            }
        });

        while (!writer.IsCompleted)
        {
            var found = catalog.Find("acme", "inbox.create");
            Assert.NotNull(found);
            Assert.Single(catalog.List("acme"));
        }

        await writer;
    }

    [Fact]
    public void Replacing_every_layer_drops_what_is_not_given_and_a_later_entry_wins()
    {
        var catalog = new ActionCatalog();
        catalog.Set("acme", Login);

        catalog.ReplaceAll([(null, GlobalInboxCreate), ("acme", GlobalInboxCreate), ("acme", AcmeInboxCreate)]);

        Assert.Null(catalog.Find("acme", "user.login"));
        Assert.Equal("Mailboxes", catalog.Find("acme", "inbox.create")?.Category);
        Assert.Equal("Inboxes", catalog.Find("globex", "inbox.create")?.Category);
    }

    [Fact]
    public void Replacing_with_an_invalid_entry_changes_nothing_and_names_its_layer_action_and_field()
    {
        var catalog = new ActionCatalog();
        catalog.Set("acme", Login);

        var ex = Assert.Throws<CatalogException>(() => catalog.ReplaceAll([(null, GlobalInboxCreate), ("acme", Login with { Crud = "remove" })]));

        Assert.Equal("acme/user.login.crud", Assert.Single(ex.Errors).Field);
        Assert.NotNull(catalog.Find("acme", "user.login"));
        Assert.Null(catalog.Find("globex", "inbox.create"));
    }
}
