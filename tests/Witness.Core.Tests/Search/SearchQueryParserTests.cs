using System.Net;
using Witness.Search;
using Xunit;

namespace Witness.Tests.Search;

public sealed class SearchQueryParserTests
{
    private static EventFilter Parse(string q) => SearchQueryParser.Parse(q, TimeZoneInfo.Utc);

    private static FilterTerm Single(string q) => Assert.Single(Parse(q).Terms);

    private static byte[] Key(string address) => IpRange.Key(IPAddress.Parse(address));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_query_filters_nothing(string? q)
    {
        var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);

        Assert.Empty(filter.Terms);
        Assert.Null(filter.From);
        Assert.Null(filter.To);
    }

    [Fact]
    public void Actor_takes_an_id_or_an_email()
    {
        Assert.Equal(new FilterTerm(FilterField.Actor, "u_17"), Single("actor:u_17"));
        Assert.Equal(new FilterTerm(FilterField.Actor, "User@Cognigy.com"), Single("actor:User@Cognigy.com"));
    }

    [Fact]
    public void Action_is_exact_unless_it_ends_in_dot_star()
    {
        var exact = Single("action:inbox.create");
        var prefix = Single("action:inbox.*");

        Assert.Equal(new FilterTerm(FilterField.Action, "inbox.create"), exact);
        Assert.False(exact.Prefix);
        Assert.Equal(new FilterTerm(FilterField.Action, "inbox.") { Prefix = true }, prefix);
    }

    [Fact]
    public void Category_keeps_its_case()
    {
        Assert.Equal(new FilterTerm(FilterField.Category, "Inboxes"), Single("category:Inboxes"));
    }

    [Fact]
    public void A_quoted_value_may_contain_spaces()
    {
        Assert.Equal(new FilterTerm(FilterField.Category, "Automation rules"), Single("category:\"Automation rules\""));
        Assert.Equal(new FilterTerm(FilterField.Actor, "Ada Admin"), Single("actor:\"Ada Admin\""));
    }

    [Theory]
    [InlineData("type:activity", "activity")]
    [InlineData("type:access", "access")]
    [InlineData("type:webhook_failure", "webhook_failure")]
    [InlineData("type:Integration_Failure", "integration_failure")]
    [InlineData("type:ACCESS", "access")]
    public void Type_is_one_of_the_four_log_types_matched_lowercase(string q, string expected)
    {
        Assert.Equal(new FilterTerm(FilterField.Type, expected), Single(q));
    }

    [Theory]
    [InlineData("outcome:success", "success")]
    [InlineData("outcome:Failure", "failure")]
    public void Outcome_is_success_or_failure_matched_lowercase(string q, string expected)
    {
        Assert.Equal(new FilterTerm(FilterField.Outcome, expected), Single(q));
    }

    [Fact]
    public void Qualifier_names_are_case_insensitive()
    {
        var terms = Parse("ACTOR:Bob Action:inbox.create CATEGORY:Inboxes Ip:10.0.0.1 Target:inbox:1").Terms;

        Assert.Equal(
            [FilterField.Actor, FilterField.Action, FilterField.Category, FilterField.Ip, FilterField.Target],
            terms.Select(t => t.Field));
        Assert.Equal("Bob", terms[0].Value);
    }

    [Fact]
    public void Target_with_a_type_splits_at_the_first_colon()
    {
        Assert.Equal(new FilterTerm(FilterField.Target, "24725") { TargetType = "inbox" }, Single("target:inbox:24725"));
        Assert.Equal(
            new FilterTerm(FilterField.Target, "https://hooks.example.com/a") { TargetType = "webhook" },
            Single("target:webhook:https://hooks.example.com/a"));
    }

    [Fact]
    public void Target_without_a_type_matches_the_id_under_any_type()
    {
        var term = Single("target:24725");

        Assert.Equal(new FilterTerm(FilterField.Target, "24725"), term);
        Assert.Null(term.TargetType);
    }

    [Fact]
    public void An_ipv4_address_is_a_range_of_one()
    {
        var term = Single("ip:203.0.113.7");

        Assert.Equal(FilterField.Ip, term.Field);
        Assert.Equal("203.0.113.7", term.Value);
        Assert.Equal(Key("203.0.113.7"), term.IpRange!.Low);
        Assert.Equal(Key("203.0.113.7"), term.IpRange.High);
    }

    [Fact]
    public void An_ipv4_cidr_block_covers_its_whole_block()
    {
        var range = Single("ip:203.0.113.0/24").IpRange!;

        Assert.Equal(Key("203.0.113.0"), range.Low);
        Assert.Equal(Key("203.0.113.255"), range.High);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 203, 0, 113, 0], range.Low);
    }

    [Fact]
    public void An_unaligned_ipv4_cidr_block_is_widened_to_its_network()
    {
        var range = Single("ip:10.1.2.3/12").IpRange!;

        Assert.Equal(Key("10.0.0.0"), range.Low);
        Assert.Equal(Key("10.15.255.255"), range.High);
    }

    [Fact]
    public void An_ipv6_address_and_cidr_block_are_ranges_of_16_bytes()
    {
        var single = Single("ip:2001:db8::1").IpRange!;
        var block = Single("ip:2001:db8::/32").IpRange!;

        Assert.Equal(Key("2001:db8::1"), single.Low);
        Assert.Equal(Key("2001:db8::1"), single.High);
        Assert.Equal(Key("2001:db8::"), block.Low);
        Assert.Equal(Key("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), block.High);
    }

    [Fact]
    public void Bare_words_are_text_terms_one_per_word()
    {
        Assert.Equal(
            [new FilterTerm(FilterField.Text, "free"), new FilterTerm(FilterField.Text, "text")],
            Parse("free   text").Terms);
    }

    [Fact]
    public void A_quoted_phrase_is_one_text_term_and_may_contain_a_colon()
    {
        Assert.Equal([new FilterTerm(FilterField.Text, "free text")], Parse("\"free text\"").Terms);
        Assert.Equal([new FilterTerm(FilterField.Text, "actor:bob")], Parse("\"actor:bob\"").Terms);
    }

    [Theory]
    [InlineData("-actor:bob", FilterField.Actor)]
    [InlineData("-action:user.login", FilterField.Action)]
    [InlineData("-action:inbox.*", FilterField.Action)]
    [InlineData("-category:Inboxes", FilterField.Category)]
    [InlineData("-type:access", FilterField.Type)]
    [InlineData("-outcome:failure", FilterField.Outcome)]
    [InlineData("-target:inbox:1", FilterField.Target)]
    [InlineData("-ip:10.0.0.0/8", FilterField.Ip)]
    [InlineData("-word", FilterField.Text)]
    [InlineData("-\"free text\"", FilterField.Text)]
    [InlineData("-category:\"Automation rules\"", FilterField.Category)]
    public void A_leading_minus_negates_a_term(string q, FilterField field)
    {
        var term = Single(q);

        Assert.Equal(field, term.Field);
        Assert.True(term.Negated);
    }

    [Fact]
    public void A_negated_term_keeps_its_value()
    {
        Assert.Equal(new FilterTerm(FilterField.Action, "user.login", Negated: true), Single("-action:user.login"));
        Assert.Equal(new FilterTerm(FilterField.Text, "free text", Negated: true), Single("-\"free text\""));
        Assert.Equal(new FilterTerm(FilterField.Text, "-x"), Single("\"-x\""));
    }

    [Fact]
    public void Terms_keep_the_order_they_were_written_in()
    {
        var terms = Parse("outcome:failure hello actor:bob").Terms;

        Assert.Equal([FilterField.Outcome, FilterField.Text, FilterField.Actor], terms.Select(t => t.Field));
    }

    [Fact]
    public void The_example_of_the_specification_parses_to_every_term_it_names()
    {
        var filter = Parse(
            "actor:user@cognigy.com action:inbox.* category:Inboxes type:access outcome:failure ip:203.0.113.0/24 "
            + "target:inbox:24725 created:>=2023-06-01 created:2023-06-01..2023-06-30 -action:user.login \"free text\"");

        Assert.Equal(new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2023, 7, 1, 0, 0, 0, TimeSpan.Zero), filter.To);
        Assert.Equal(9, filter.Terms.Count);
        Assert.Equal(new FilterTerm(FilterField.Actor, "user@cognigy.com"), filter.Terms[0]);
        Assert.Equal(new FilterTerm(FilterField.Action, "inbox.") { Prefix = true }, filter.Terms[1]);
        Assert.Equal(new FilterTerm(FilterField.Category, "Inboxes"), filter.Terms[2]);
        Assert.Equal(new FilterTerm(FilterField.Type, "access"), filter.Terms[3]);
        Assert.Equal(new FilterTerm(FilterField.Outcome, "failure"), filter.Terms[4]);
        Assert.Equal(FilterField.Ip, filter.Terms[5].Field);
        Assert.Equal("203.0.113.0/24", filter.Terms[5].Value);
        Assert.Equal(Key("203.0.113.0"), filter.Terms[5].IpRange!.Low);
        Assert.Equal(Key("203.0.113.255"), filter.Terms[5].IpRange!.High);
        Assert.Equal(new FilterTerm(FilterField.Target, "24725") { TargetType = "inbox" }, filter.Terms[6]);
        Assert.Equal(new FilterTerm(FilterField.Action, "user.login", Negated: true), filter.Terms[7]);
        Assert.Equal(new FilterTerm(FilterField.Text, "free text"), filter.Terms[8]);
    }
}
