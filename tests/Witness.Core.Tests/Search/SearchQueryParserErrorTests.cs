using Witness.Search;
using Xunit;

namespace Witness.Tests.Search;

public sealed class SearchQueryParserErrorTests
{
    public static TheoryData<string, string> Malformed => new()
    {
        { "actr:bob", "actr:bob" },
        { "hello actr:bob world", "actr:bob" },
        { ":bob", ":bob" },
        { "12:30", "12:30" },
        { "\"actor\":bob", "\"actor\":bob" },
        { "actor:", "actor:" },
        { "actor:\"\"", "actor:\"\"" },
        { "category:\"  \"", "category:\"  \"" },
        { "-", "-" },
        { "a - b", "-" },
        { "\"\"", "\"\"" },
        { "-\"\"", "-\"\"" },
        { "\"free text", "\"free text" },
        { "actor:bob \"free text  ", "\"free text" },
        { "category:\"Automation rules", "category:\"Automation rules" },
        { "type:audit", "type:audit" },
        { "type:", "type:" },
        { "outcome:maybe", "outcome:maybe" },
        { "action:*", "action:*" },
        { "action:.*", "action:.*" },
        { "action:inbox*", "action:inbox*" },
        { "action:inbox.**", "action:inbox.**" },
        { "action:*.create", "action:*.create" },
        { "action:Inbox.Create", "action:Inbox.Create" },
        { "target:inbox:", "target:inbox:" },
        { "target::24725", "target::24725" },
        { "ip:", "ip:" },
        { "ip:bob", "ip:bob" },
        { "ip:300.1.1.1", "ip:300.1.1.1" },
        { "ip:10", "ip:10" },
        { "ip:10.1", "ip:10.1" },
        { "ip:010.0.0.1", "ip:010.0.0.1" },
        { "ip:10.0.0.0/33", "ip:10.0.0.0/33" },
        { "ip:10.0.0.0/", "ip:10.0.0.0/" },
        { "ip:10.0.0.0/-1", "ip:10.0.0.0/-1" },
        { "ip:2001:db8::/129", "ip:2001:db8::/129" },
        { "ip:2001:db8:::1", "ip:2001:db8:::1" },
        { "ip:fe80::1%eth0", "ip:fe80::1%eth0" },
        { "created:", "created:" },
        { "created:yesterday", "created:yesterday" },
        { "created:2023-13-01", "created:2023-13-01" },
        { "created:2023-02-30", "created:2023-02-30" },
        { "created:2023-6-1", "created:2023-6-1" },
        { "created:2023-06-01T10:00:00", "created:2023-06-01T10:00:00" },
        { "created:>=", "created:>=" },
        { "created:>=*", "created:>=*" },
        { "created:=2023-06-01", "created:=2023-06-01" },
        { "created:2023-06-01..", "created:2023-06-01.." },
        { "created:*..*", "created:*..*" },
        { "created:2023-06-02..2023-06-01", "created:2023-06-02..2023-06-01" },
        { "created:9999-12-31", "created:9999-12-31" },
        { "-created:>=2023-06-01", "-created:>=2023-06-01" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_term_that_cannot_be_parsed_is_an_error_naming_it(string q, string term)
    {
        var error = Assert.Throws<SearchSyntaxException>(() => SearchQueryParser.Parse(q, TimeZoneInfo.Utc));

        Assert.Equal(term, error.Term);
        Assert.Contains($"'{term}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_field_is_named_with_its_term()
    {
        var error = Assert.Throws<SearchSyntaxException>(() => SearchQueryParser.Parse("actr:bob", TimeZoneInfo.Utc));

        Assert.Equal("unknown field 'actr' in term 'actr:bob'", error.Message);
    }

    [Fact]
    public void A_bad_enum_value_lists_the_values_allowed()
    {
        var error = Assert.Throws<SearchSyntaxException>(() => SearchQueryParser.Parse("type:audit", TimeZoneInfo.Utc));

        Assert.Equal("unknown type 'audit' (expected activity, access, webhook_failure, integration_failure) in term 'type:audit'", error.Message);
    }

    [Fact]
    public void The_first_bad_term_is_reported_even_when_later_ones_are_bad_too()
    {
        var error = Assert.Throws<SearchSyntaxException>(() => SearchQueryParser.Parse("actor:bob type:x outcome:y", TimeZoneInfo.Utc));

        Assert.Equal("type:x", error.Term);
    }
}
