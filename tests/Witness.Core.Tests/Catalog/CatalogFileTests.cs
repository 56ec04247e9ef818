using System.Text;
using Witness.Catalog;
using Xunit;

namespace Witness.Tests.Catalog;

public sealed class CatalogFileTests
{
    private const string Valid = """
        {
          "name": "my-product",
          "description": "Our own actions",
          "actions": [
            { "action": "inbox.create", "category": "Inboxes", "type": "activity", "crud": "create", "template": "Created a new inbox (#{{target.id}})", "description": "Create inbox" },
            { "action": "user.login", "category": "Authentication", "type": "access", "crud": "other", "template": "Logged in", "description": "Login" }
          ]
        }
        """;

    private static CatalogFile Load(string json, string origin = "my.json") =>
        CatalogFile.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), origin);

    [Fact]
    public void A_valid_file_loads_with_its_entries_in_order()
    {
        var file = Load(Valid);

        Assert.Equal("my-product", file.Name);
        Assert.Equal("Our own actions", file.Description);
        Assert.Equal(["inbox.create", "user.login"], file.Actions.Select(a => a.Action));
        Assert.Equal(["Inboxes", "Authentication"], file.Categories);
        Assert.Equal("my.json", file.Origin);
    }

    [Fact]
    public void A_file_on_disk_loads_and_its_entries_can_be_set_for_a_tenant()
    {
        var path = Path.Combine(Path.GetTempPath(), $"witness-catalog-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Valid);
        try
        {
            var catalog = new ActionCatalog();
            catalog.SetRange("acme", CatalogFile.Load(path).Actions);

            Assert.Equal(2, catalog.List("acme").Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_invalid_entry_is_reported_with_the_file_the_entry_index_and_the_field()
    {
        var json = Valid.Replace("\"template\": \"Logged in\"", "\"template\": \"Logged in {{foo.bar}}\"", StringComparison.Ordinal);

        var ex = Assert.Throws<CatalogException>(() => Load(json));

        Assert.Equal("my.json", ex.Origin);
        Assert.Equal("actions[1].template", Assert.Single(ex.Errors).Field);
        Assert.StartsWith("my.json: actions[1].template: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_mistyped_fields_are_each_named()
    {
        var ex = Assert.Throws<CatalogException>(() => Load("""
            { "name": "x", "actions": [ { "action": "inbox.create", "category": 5, "type": "activity", "crud": "create", "template": "Created", "colour": "red" } ] }
            """));

        Assert.Equal(["actions[0].colour", "actions[0].category"], ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public void An_entry_missing_required_fields_names_each_of_them()
    {
        var ex = Assert.Throws<CatalogException>(() => Load("""{ "name": "x", "actions": [ { "action": "inbox.create" } ] }"""));

        Assert.Equal(
            ["actions[0].category", "actions[0].type", "actions[0].crud", "actions[0].description", "actions[0].template"],
            ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public void A_repeated_action_is_rejected()
    {
        var json = Valid.Replace("\"action\": \"user.login\"", "\"action\": \"inbox.create\"", StringComparison.Ordinal);

        var ex = Assert.Throws<CatalogException>(() => Load(json));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("actions[1].action", error.Field);
        Assert.Contains("actions[0]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{ "actions": [] }""")]
    [InlineData("""{ "name": "x" }""")]
    [InlineData("""{ "name": "x", "actions": {} }""")]
    [InlineData("""{ "name": "x", "actions": ["inbox.create"] }""")]
    [InlineData("""{ "name": "x", "actions": [], "version": 2 }""")]
    public void A_file_of_the_wrong_shape_is_rejected_naming_the_file(string json)
    {
        var ex = Assert.Throws<CatalogException>(() => Load(json, "broken.json"));

        Assert.StartsWith("broken.json: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"witness-missing-{Guid.NewGuid():N}.json");

        var ex = Assert.Throws<CatalogException>(() => CatalogFile.Load(path));

        Assert.Equal(path, ex.Origin);
    }

    [Fact]
    public void A_yaml_file_is_refused_with_a_hint_to_use_json()
    {
        var ex = Assert.Throws<CatalogException>(() => CatalogFile.Load("catalog.yaml"));

        Assert.Contains("JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_preset_is_refused_with_the_names_there_are()
    {
        var ex = Assert.Throws<CatalogException>(() => CatalogFile.LoadPreset("crm"));

        Assert.Contains("'crm'", ex.Message, StringComparison.Ordinal);
        foreach (var name in CatalogFile.PresetNames)
        {
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        }
    }
}
