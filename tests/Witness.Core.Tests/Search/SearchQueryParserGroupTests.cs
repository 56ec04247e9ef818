using Witness.Search;
using Xunit;

namespace Witness.Tests.Search;

public sealed class SearchQueryParserGroupTests
{
    private static EventFilter Parse(string q) => SearchQueryParser.Parse(q, TimeZoneInfo.Utc);

    private static FilterTerm Text(string value, bool negated = false) => new(FilterField.Text, value, negated);

    // A group written as text: [a b | c] is "(a b) OR c", '-' marks a negated term or group.
    private static string Show(IReadOnlyList<FilterTerm> terms) => string.Join(" ", terms.Select(Show));

    private static string Show(FilterTerm t) => (t.Negated ? "-" : "") + t.Field switch
    {
        FilterField.Any => "[" + string.Join(" | ", t.Alternatives.Select(Show)) + "]",
        FilterField.Text => t.Value,
        _ => $"{t.Field.ToString().ToLowerInvariant()}:{t.Value}",
    };

    [Theory]
    [InlineData("a OR b", "[a | b]")]
    [InlineData("a b OR c", "[a b | c]")]
    [InlineData("a OR b c", "[a | b c]")]
    [InlineData("a OR b OR c", "[a | b | c]")]
    [InlineData("(a OR b) c", "[a | b] c")]
    [InlineData("(a b) c", "a b c")]
    [InlineData("((a))", "a")]
    [InlineData("-(a OR b) c", "-[a | b] c")]
    [InlineData("-(a b)", "-[a b]")]
    [InlineData("a -(b (c OR d))", "a -[b [c | d]]")]
    [InlineData("(a)(b)", "a b")]
    [InlineData("x(a OR b)", "x [a | b]")]
    [InlineData("a AND b", "a b")]
    [InlineData("a AND b OR c", "[a b | c]")]
    [InlineData("actor:bob OR -type:access", "[actor:bob | -type:access]")]
    [InlineData("(action:user.login OR action:user.logout) -outcome:failure", "[action:user.login | action:user.logout] -outcome:failure")]
    public void Or_binds_looser_than_the_space_and_parentheses_group(string q, string shown)
    {
        Assert.Equal(shown, Show(Parse(q).Terms));
    }

    [Theory]
    [InlineData("a or b", "a or b")]
    [InlineData("\"OR\" b", "or b")]
    [InlineData("\"a OR b\"", "a or b")]
    [InlineData("\"(beta)\"", "(beta)")]
    [InlineData("Or", "or")]
    public void Lower_case_or_and_quoted_operators_and_parentheses_are_text(string q, string shown)
    {
        Assert.Equal(shown, Show(Parse(q).Terms).ToLowerInvariant());
    }

    [Fact]
    public void A_phrase_is_one_term_beside_groups()
    {
        Assert.Equal([Text("night shift"), Text("berlin", negated: true)], Parse("\"night shift\" -berlin").Terms);
        Assert.Equal("[night shift | day shift]", Show(Parse("\"night shift\" OR \"day shift\"").Terms));
    }

    [Fact]
    public void Created_narrows_the_whole_query_beside_a_group()
    {
        var filter = Parse("created:2023-06-01 (a OR b)");

        Assert.Equal(new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal("[a | b]", Show(filter.Terms));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "OR", "OR", "'OR' needs a term on each side" },
        { "a OR", "OR", "'OR' needs a term on each side" },
        { "OR a", "OR", "'OR' needs a term on each side" },
        { "a OR OR b", "OR", "'OR' needs a term on each side" },
        { "(a OR) b", "OR", "'OR' needs a term on each side" },
        { "a AND", "AND", "'AND' needs a term on each side" },
        { "AND a", "AND", "'AND' needs a term on each side" },
        { "a AND OR b", "AND", "'AND' needs a term on each side" },
        { "(a", "(", "'(' without ')'" },
        { "-(a b", "-(", "'(' without ')'" },
        { "((a) b", "(", "'(' without ')'" },
        { "a)", ")", "')' without '('" },
        { ")", ")", "')' without '('" },
        { "(a))", ")", "')' without '('" },
        { "()", "()", "empty parentheses" },
        { "a -()", "-()", "empty parentheses" },
        { "(created:2023-06-01 a)", "created:2023-06-01", "'created' cannot be inside parentheses" },
        { "created:2023-06-01 OR a", "created:2023-06-01", "'created' cannot be one side of an OR" },
        { "a OR created:>=2023-06-01", "created:>=2023-06-01", "'created' cannot be one side of an OR" },
        { "(actr:bob OR a)", "actr:bob", "unknown field 'actr'" },
        { "(\"a OR b)", "\"a OR b)", "unbalanced quote" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_misplaced_operator_or_parenthesis_is_an_error_naming_it(string q, string term, string problem)
    {
        var error = Assert.Throws<SearchSyntaxException>(() => Parse(q));

        Assert.Equal(term, error.Term);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parentheses_nest_deeply_but_not_without_end()
    {
        Assert.Equal("a", Show(Parse(new string('(', 32) + "a" + new string(')', 32)).Terms));

        var error = Assert.Throws<SearchSyntaxException>(() => Parse(new string('(', 10_000) + "a" + new string(')', 10_000)));
        Assert.Contains("nested parentheses", error.Message, StringComparison.Ordinal);
    }
}
