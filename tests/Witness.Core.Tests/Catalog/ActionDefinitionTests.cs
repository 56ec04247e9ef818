using Witness.Catalog;
using Xunit;

namespace Witness.Tests.Catalog;

public sealed class ActionDefinitionTests
{
    private static readonly ActionDefinition InboxCreate =
        new("inbox.create", "Inboxes", "activity", "create", "Created a new inbox (#{{target.id}})", "Create inbox");

    [Fact]
    public void A_complete_definition_has_no_errors()
    {
        Assert.Empty(InboxCreate.Validate());
    }

    [Theory]
    [InlineData("action", "Inbox.Create")]
    [InlineData("action", "")]
    [InlineData("category", " ")]
    [InlineData("type", "audit")]
    [InlineData("crud", "upsert")]
    [InlineData("template", "Created {{inbox.id}}")]
    [InlineData("description", "")]
    public void Each_invalid_field_is_named_in_the_error(string field, string value)
    {
        var definition = field switch
        {
            "action" => InboxCreate with { Action = value },
            "category" => InboxCreate with { Category = value },
            "type" => InboxCreate with { Type = value },
            "crud" => InboxCreate with { Crud = value },
            "template" => InboxCreate with { Template = value },
            _ => InboxCreate with { Description = value },
        };

        var error = Assert.Single(definition.Validate());

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void A_template_error_says_where_the_problem_is()
    {
        var error = Assert.Single((InboxCreate with { Template = "Created a new inbox (#{{target.id)" }).Validate());

        Assert.Equal("template", error.Field);
        Assert.Contains("position 22", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var definition = new ActionDefinition("Bad Action", "", "nope", "nope", "{{", "");

        Assert.Equal(["action", "category", "type", "crud", "description", "template"], definition.Validate().Select(e => e.Field));
    }
}
