using System.Text.Json.Nodes;
using Witness.Server.Catalog;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

/// <summary>The four examples, rendered by ingest from the shipped presets into events sent without a description.</summary>
public sealed class TemplateRenderingTests : IAsyncLifetime
{
    private readonly string _tenant = Some.Tenant();
    private RunningServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(o =>
        {
            o.Presets.Add(new PresetChoice("live-agent-console", _tenant));
            o.Presets.Add(new PresetChoice("ai-agent-workspace", _tenant));
        });
        _client = await _server.ClientForAsync(_tenant);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static JsonObject Undescribed(string tenant, string action, string targetType, string targetId, string targetName, Action<JsonObject>? change = null) =>
        Some.Event(tenant, action, e =>
        {
            e.Remove("category");
            e["targets"] = new JsonArray(new JsonObject { ["type"] = targetType, ["id"] = targetId, ["name"] = targetName });
            change?.Invoke(e);
        });

    [Fact]
    public async Task Creating_an_inbox_reads_created_a_new_inbox_with_its_id()
    {
        var stored = await _client.SendAndReadAsync(Undescribed(_tenant, "inbox.create", "inbox", "24725", "Support"));

        Assert.Equal("Created a new inbox (#24725)", stored.GetProperty("description").GetString());
        Assert.Equal("Inboxes", stored.GetProperty("category").GetString());
        Assert.Equal("activity", stored.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Deleting_an_automation_rule_reads_deleted_an_automation_rule_with_its_id()
    {
        var stored = await _client.SendAndReadAsync(Undescribed(_tenant, "automation_rule.delete", "automation_rule", "376", "Close stale tickets"));

        Assert.Equal("Deleted an automation rule (#376)", stored.GetProperty("description").GetString());
        Assert.Equal("Automation rules", stored.GetProperty("category").GetString());
    }

    [Fact]
    public async Task Adding_a_tag_to_a_document_names_the_tag_and_the_document()
    {
        var stored = await _client.SendAndReadAsync(Undescribed(_tenant, "document.tag.add", "document", "doc_9", "Refund policy.pdf",
            e => e["metadata"] = new JsonObject { ["tag"] = "billing" }));

        Assert.Equal("Added tag billing to Refund policy.pdf", stored.GetProperty("description").GetString());
        Assert.Equal("Documents", stored.GetProperty("category").GetString());
    }

    [Fact]
    public async Task Changing_a_role_names_the_member_and_the_new_role()
    {
        var stored = await _client.SendAndReadAsync(Undescribed(_tenant, "team.role.change", "member", "u_42", "Grace Kim", e =>
        {
            e["metadata"] = new JsonObject { ["email"] = "grace@acme.example" };
            e["changes"] = new JsonObject { ["before"] = new JsonObject { ["role"] = "Editor" }, ["after"] = new JsonObject { ["role"] = "Administrator" } };
        }));

        Assert.Equal("Changed role of grace@acme.example with Administrator", stored.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_missing_value_renders_as_a_question_mark_and_a_given_description_is_kept()
    {
        var missing = await _client.SendAndReadAsync(Some.Event(_tenant, "inbox.create", e => e.Remove("targets")));
        var given = await _client.SendAndReadAsync(Some.Event(_tenant, "inbox.create", e => e["description"] = "Imported the Support inbox"));

        Assert.Equal("Created a new inbox (#?)", missing.GetProperty("description").GetString());
        Assert.Equal("Imported the Support inbox", given.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_tenant_without_the_preset_stores_the_action_without_a_description()
    {
        var other = Some.Tenant();
        using var client = await _server.ClientForAsync(other);

        var stored = await client.SendAndReadAsync(Undescribed(other, "inbox.create", "inbox", "24725", "Support"));

        Assert.False(stored.TryGetProperty("description", out var description) && description.ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Equal("inbox.create", stored.GetProperty("action").GetString());
    }
}
