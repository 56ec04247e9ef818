using System.Net;
using Witness.Search;
using Xunit;

namespace Witness.Tests.Search;

public sealed class EventFilterBinderTests
{
    private static readonly TimeZoneInfo Rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");

    private static EventFilter Bind(TimeZoneInfo zone, params (string Name, string Value)[] parameters)
    {
        var values = parameters.ToDictionary(p => p.Name, p => p.Value);
        return EventFilterBinder.FromParameters(name => values.GetValueOrDefault(name), zone);
    }

    private static EventFilter Bind(params (string Name, string Value)[] parameters) => Bind(TimeZoneInfo.Utc, parameters);

    private static SearchSyntaxException Rejected(params (string Name, string Value)[] parameters) =>
        Assert.Throws<SearchSyntaxException>(() => Bind(parameters));

    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0) => new(year, month, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public void No_parameters_filter_nothing()
    {
        var filter = Bind();

        Assert.Null(filter.From);
        Assert.Null(filter.To);
        Assert.Empty(filter.Terms);
    }

    [Fact]
    public void Every_field_parameter_becomes_a_term()
    {
        var filter = Bind(
            ("actor", "user@cognigy.com"),
            ("action", "inbox.*"),
            ("category", "Automation rules"),
            ("type", "Access"),
            ("outcome", "failure"),
            ("target", "inbox:24725"),
            ("ip", "2001:db8::/48"));

        Assert.Equal(new FilterTerm(FilterField.Actor, "user@cognigy.com"), filter.Terms[0]);
        Assert.Equal(new FilterTerm(FilterField.Action, "inbox.") { Prefix = true }, filter.Terms[1]);
        Assert.Equal(new FilterTerm(FilterField.Category, "Automation rules"), filter.Terms[2]);
        Assert.Equal(new FilterTerm(FilterField.Type, "access"), filter.Terms[3]);
        Assert.Equal(new FilterTerm(FilterField.Outcome, "failure"), filter.Terms[4]);
        Assert.Equal(new FilterTerm(FilterField.Target, "24725") { TargetType = "inbox" }, filter.Terms[5]);
        Assert.Equal(FilterField.Ip, filter.Terms[6].Field);
        Assert.Equal(IpRange.Key(IPAddress.Parse("2001:db8::")), filter.Terms[6].IpRange!.Low);
        Assert.Equal(IpRange.Key(IPAddress.Parse("2001:db8:0:ffff:ffff:ffff:ffff:ffff")), filter.Terms[6].IpRange!.High);
        Assert.Equal(7, filter.Terms.Count);
    }

    [Fact]
    public void Parameter_values_are_taken_literally()
    {
        var filter = Bind(("actor", "-bob"), ("target", "24725"), ("action", "user.login"));

        Assert.Equal(new FilterTerm(FilterField.Actor, "-bob"), filter.Terms[0]);
        Assert.Equal(new FilterTerm(FilterField.Action, "user.login"), filter.Terms[1]);
        Assert.Equal(new FilterTerm(FilterField.Target, "24725"), filter.Terms[2]);
    }

    [Fact]
    public void From_and_to_as_days_cover_both_days_whole()
    {
        var filter = Bind(("from", "2023-06-01"), ("to", "2023-06-30"));

        Assert.Equal(Utc(2023, 6, 1), filter.From);
        Assert.Equal(Utc(2023, 7, 1), filter.To);
    }

    [Fact]
    public void From_and_to_as_times_are_used_as_given_with_to_exclusive()
    {
        var filter = Bind(("from", "2023-06-01T10:00:00+02:00"), ("to", "2023-06-01T12:00:00Z"));

        Assert.Equal(Utc(2023, 6, 1, 8), filter.From);
        Assert.Equal(Utc(2023, 6, 1, 12), filter.To);
    }

    [Fact]
    public void Days_are_read_in_the_given_zone()
    {
        var filter = Bind(Rome, ("from", "2023-06-01"), ("to", "2023-06-01"));

        Assert.Equal(Utc(2023, 5, 31, 22), filter.From);
        Assert.Equal(Utc(2023, 6, 1, 22), filter.To);
    }

    [Fact]
    public void Q_is_combined_with_the_parameters()
    {
        var filter = Bind(
            ("from", "2023-06-01"),
            ("actor", "bob"),
            ("q", "created:<2023-06-15 action:inbox.* -\"free text\""));

        Assert.Equal(Utc(2023, 6, 1), filter.From);
        Assert.Equal(Utc(2023, 6, 15), filter.To);
        Assert.Equal(
            [
                new FilterTerm(FilterField.Actor, "bob"),
                new FilterTerm(FilterField.Action, "inbox.") { Prefix = true },
                new FilterTerm(FilterField.Text, "free text", Negated: true),
            ],
            filter.Terms);
    }

    [Fact]
    public void The_narrower_of_the_parameter_and_q_time_windows_wins()
    {
        var filter = Bind(("from", "2023-06-10"), ("to", "2023-06-30"), ("q", "created:2023-06-01..2023-06-20"));

        Assert.Equal(Utc(2023, 6, 10), filter.From);
        Assert.Equal(Utc(2023, 6, 21), filter.To);
    }

    [Fact]
    public void Empty_and_blank_parameters_are_not_applied()
    {
        var filter = Bind(("from", ""), ("to", " "), ("actor", ""), ("type", ""), ("ip", "  "), ("q", ""));

        Assert.Null(filter.From);
        Assert.Null(filter.To);
        Assert.Empty(filter.Terms);
    }

    [Theory]
    [InlineData("from", "yesterday")]
    [InlineData("from", "2023-06-01T10:00:00")]
    [InlineData("to", "2023-02-30")]
    [InlineData("action", "*")]
    [InlineData("action", "inbox*")]
    [InlineData("type", "audit")]
    [InlineData("outcome", "maybe")]
    [InlineData("target", "inbox:")]
    [InlineData("ip", "10.0.0.0/33")]
    [InlineData("ip", "bob")]
    public void A_bad_parameter_is_an_error_naming_it_and_its_value(string name, string value)
    {
        var error = Rejected((name, value));

        Assert.Equal($"{name}={value}", error.Term);
        Assert.Contains($"'{name}={value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_yesterday_is_named_in_the_message()
    {
        var error = Rejected(("from", "yesterday"));

        Assert.Equal("'yesterday' is not a yyyy-MM-dd day or an RFC 3339 time in parameter 'from=yesterday'", error.Message);
    }

    [Fact]
    public void To_before_from_is_an_error_naming_to()
    {
        var error = Rejected(("from", "2023-06-02"), ("to", "2023-06-01T00:00:00Z"));

        Assert.Equal("to=2023-06-01T00:00:00Z", error.Term);
        Assert.Contains("from=2023-06-02", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_in_q_names_the_term_of_the_query()
    {
        var error = Rejected(("actor", "bob"), ("q", "action:inbox.* actr:bob"));

        Assert.Equal("actr:bob", error.Term);
        Assert.Equal("unknown field 'actr' in term 'actr:bob'", error.Message);
    }

    [Fact]
    public void Parameter_names_list_every_parameter_read()
    {
        Assert.Equal(
            ["from", "to", "actor", "action", "category", "type", "outcome", "target", "ip", "q"],
            EventFilterBinder.ParameterNames);
    }

    [Fact]
    public void Only_the_listed_parameters_are_read()
    {
        var read = new List<string>();
        EventFilterBinder.FromParameters(name => { read.Add(name); return null; }, TimeZoneInfo.Utc);

        Assert.Equal(EventFilterBinder.ParameterNames.Order(), read.Order());
    }
}
