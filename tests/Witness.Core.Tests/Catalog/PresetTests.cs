using System.Text.RegularExpressions;
using Witness.Catalog;
using Witness.Events;
using Xunit;
using static Witness.Tests.Catalog.CatalogSamples;

namespace Witness.Tests.Catalog;

public sealed partial class PresetTests
{
    public static TheoryData<string> Presets => new(CatalogFile.PresetNames);

    [GeneratedRegex("^[a-z0-9_.:-]{1,128}$")]
    private static partial Regex ActionName();

    [Fact]
    public void Witness_ships_the_four_presets()
    {
        Assert.Equal(["admin-centre", "ai-agent-workspace", "help-desk", "live-agent-console"], CatalogFile.PresetNames);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Each_preset_loads_with_its_own_name_categories_and_actions(string preset)
    {
        var file = CatalogFile.LoadPreset(preset);

        Assert.Equal(preset, file.Name);
        Assert.False(string.IsNullOrWhiteSpace(file.Description));
        Assert.True(file.Categories.Count >= 4, $"{preset} has only {file.Categories.Count} categories");
        Assert.True(file.Actions.Count >= 15, $"{preset} has only {file.Actions.Count} actions");
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Every_action_of_a_preset_validates(string preset)
    {
        foreach (var definition in CatalogFile.LoadPreset(preset).Actions)
        {
            Assert.Matches(ActionName(), definition.Action);
            Assert.Empty(definition.Validate());
        }
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Every_action_of_a_preset_renders_from_a_sample_event_without_a_missing_placeholder(string preset)
    {
        var catalog = new ActionCatalog();
        catalog.SetRange("acme", CatalogFile.LoadPreset(preset).Actions);

        foreach (var definition in catalog.ListLayer("acme"))
        {
            var template = catalog.FindTemplate("acme", definition.Action)!;
            var e = SampleFor(template, definition.Action);

            Assert.True(template.MissingPlaceholders(e).Count == 0, $"{preset} {definition.Action}: missing {string.Join(", ", template.MissingPlaceholders(e))}");
            var description = catalog.Apply("acme", e, typeWasGiven: false).Description;
            Assert.False(string.IsNullOrWhiteSpace(description));
            Assert.DoesNotContain("{{", description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Creating_an_inbox_reads_created_a_new_inbox_with_its_id()
    {
        var description = Describe("live-agent-console", Event("inbox.create") with { Actor = Ada, Targets = [Target("inbox", "24725", "Support")] });

        Assert.Equal("Created a new inbox (#24725)", description);
    }

    [Fact]
    public void Deleting_an_automation_rule_reads_deleted_an_automation_rule_with_its_id()
    {
        var description = Describe("live-agent-console", Event("automation_rule.delete") with { Actor = Ada, Targets = [Target("automation_rule", "376")] });

        Assert.Equal("Deleted an automation rule (#376)", description);
    }

    [Fact]
    public void Adding_a_document_tag_reads_with_the_tag_and_the_document()
    {
        var description = Describe("ai-agent-workspace", Event("document.tag.add") with
        {
            Actor = Ada,
            Targets = [Target("document", "d_9", "Pricing.pdf", "https://app.example.com/documents/d_9")],
            Metadata = Json("""{"tag":"billing"}"""),
        });

        Assert.Equal("Added tag billing to Pricing.pdf", description);
    }

    [Fact]
    public void Changing_a_team_role_reads_with_the_email_and_the_new_role()
    {
        var description = Describe("ai-agent-workspace", Event("team.role.change") with
        {
            Actor = Ada,
            Metadata = Json("""{"email":"ada@example.com"}"""),
            Changes = new EventChanges { Before = Json("""{"role":"Member"}"""), After = Json("""{"role":"Administrator"}""") },
        });

        Assert.Equal("Changed role of ada@example.com with Administrator", description);
    }

    [Fact]
    public void A_preset_example_without_its_target_renders_a_visible_gap()
    {
        Assert.Equal("Created a new inbox (#?)", Describe("live-agent-console", Event("inbox.create")));
    }

    [Fact]
    public void The_live_agent_console_covers_create_update_and_delete_of_each_of_its_families()
    {
        var actions = CatalogFile.LoadPreset("live-agent-console").Actions.Select(a => a.Action).ToHashSet();

        foreach (var family in new[] { "assist_bot", "automation_rule", "inbox", "inbox_collaborator", "inbox_webhook", "team" })
        {
            foreach (var verb in new[] { "create", "update", "delete" })
            {
                Assert.Contains($"{family}.{verb}", actions);
            }
        }
    }

    [Fact]
    public void Help_desk_authentication_actions_are_access_events()
    {
        var authentication = CatalogFile.LoadPreset("help-desk").Actions.Where(a => a.Category == "Authentication").ToList();

        Assert.Equal(6, authentication.Count);
        Assert.All(authentication, a => Assert.Equal(LogTypes.Access, a.Type));
    }

    [Fact]
    public void The_admin_centre_holds_every_log_type_and_the_audit_logs_own_actions()
    {
        var file = CatalogFile.LoadPreset("admin-centre");

        Assert.Equal(LogTypes.All.Order(), file.Actions.Select(a => a.Type).Distinct().Order());
        foreach (var action in new[] { "audit_log.view", "audit_log.export", "log.purge", "alert.fired", "console.sign_in", "console.sign_out", "console.sign_in_failed" })
        {
            Assert.Contains(file.Actions, a => a.Action == action);
        }
    }

    [Fact]
    public void The_admin_centre_integration_failure_names_the_metadata_it_reads()
    {
        var failure = CatalogFile.LoadPreset("admin-centre").Actions.Single(a => a.Type == LogTypes.IntegrationFailure);
        var template = CompiledTemplate.Compile(failure.Template);

        Assert.Equal(["metadata.integration_name", "metadata.integration_type", "metadata.failure_type", "metadata.details"], template.Placeholders);
        Assert.All(["integration_name", "integration_type", "failure_type", "details"], field => Assert.Contains(field, failure.Description, StringComparison.Ordinal));
    }

    [Fact]
    public void The_admin_centre_access_log_shows_brand_and_login_source()
    {
        var description = Describe("admin-centre", Event("user.login") with
        {
            Actor = Ada,
            Context = new EventContext { Brand = "Acme Support", Source = "form" },
        });

        Assert.Equal("Logged in to Acme Support with form", description);
    }

    private static string Describe(string preset, AuditEvent e)
    {
        var catalog = new ActionCatalog();
        catalog.SetRange("acme", CatalogFile.LoadPreset(preset).Actions);
        return catalog.Describe("acme", e);
    }
}
