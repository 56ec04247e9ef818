namespace Witness.Search;

/// <summary>
/// Parses the search language of SPEC §5: GitHub-style terms separated by spaces, such as
/// <c>actor:user@cognigy.com action:inbox.* created:&gt;=2023-06-01 -type:access "free text"</c>.
/// </summary>
/// <remarks>
/// <para>Qualifiers (names case-insensitive): <c>actor:</c>, <c>action:</c> (exact, or a prefix
/// written <c>inbox.*</c>), <c>category:</c>, <c>type:</c> and <c>outcome:</c> (matched lowercase),
/// <c>target:</c> (<c>type:id</c>, split at the first colon, or <c>id</c>), <c>ip:</c> (an address or
/// CIDR block, IPv4 or IPv6) and <c>created:</c> (<c>&gt;=D</c>, <c>&gt;D</c>, <c>&lt;=D</c>,
/// <c>&lt;D</c>, <c>D</c>, <c>D1..D2</c>, <c>D..*</c>, <c>*..D</c>, where D is a <c>yyyy-MM-dd</c>
/// day in the given zone or an RFC 3339 time; several <c>created:</c> terms intersect).</para>
/// <para>Any other word is free text, one term per word; double quotes make a phrase one term and
/// let a qualifier's value contain spaces (<c>category:"Automation rules"</c>). A colon outside
/// quotes always starts a qualifier, so text containing one must be quoted. There is no escape for
/// a double quote itself. A leading <c>-</c> negates a term, except <c>created:</c>.</para>
/// <para>Free text matches where the event's search text contains the word or the quoted phrase
/// (case-insensitive, anywhere, so <c>berl</c> finds Berlin). Terms side by side must all hold;
/// <c>OR</c> (upper case) between terms makes either do, and binds looser than the space
/// (<c>a b OR c</c> is <c>(a b) OR c</c>); an optional <c>AND</c> says the space explicitly.
/// Parentheses group terms and <c>-( … )</c> negates a group. Outside quotes, <c>(</c> and
/// <c>)</c> always group, so text containing them must be quoted, as must the words OR and AND.
/// <c>created:</c> narrows the whole query and so stands outside parentheses and OR.</para>
/// </remarks>
public static class SearchQueryParser
{
    private const string Created = "created";

    private static readonly Dictionary<string, FilterField> Qualifiers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["actor"] = FilterField.Actor,
        ["action"] = FilterField.Action,
        ["category"] = FilterField.Category,
        ["type"] = FilterField.Type,
        ["outcome"] = FilterField.Outcome,
        ["target"] = FilterField.Target,
        ["ip"] = FilterField.Ip,
    };

    /// <summary>
    /// Parses <paramref name="q"/> into a filter whose terms keep the order they were written in and
    /// whose <see cref="EventFilter.From"/> (inclusive) and <see cref="EventFilter.To"/> (exclusive)
    /// come from its <c>created:</c> terms, in UTC. A null, empty or blank query is
    /// <see cref="EventFilter.All"/>.
    /// </summary>
    /// <param name="q">The query as the user typed it.</param>
    /// <param name="zone">The zone a <c>yyyy-MM-dd</c> day is read in: it runs from local midnight to local midnight.</param>
    /// <exception cref="SearchSyntaxException">
    /// A term cannot be parsed: an unknown qualifier, an empty value, a type or outcome that does not
    /// exist, an action that is not one, a bad date or range, a bad address or CIDR block, a negated
    /// <c>created:</c>, a lone <c>-</c>, an empty phrase or an unbalanced quote; an OR or AND without a
    /// term on each side, an unbalanced or empty parenthesis, or <c>created:</c> inside parentheses or
    /// beside an OR. Nothing is ever
    /// dropped to make a query parse.
    /// </exception>
    public static EventFilter Parse(string? q, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (string.IsNullOrWhiteSpace(q))
        {
            return EventFilter.All;
        }

        return new Grouping(Tokenize(q), zone).Query();
    }

    private enum TokenKind
    {
        Term,
        Open,
        Close,
        Or,
        And,
    }

    private readonly record struct Token(TokenKind Kind, string Text);

    // Outside quotes, whitespace separates terms and '(' and ')' are tokens of their own; "-(" opens a
    // negated group; OR and AND (upper case, unquoted) are operators.
    private static List<Token> Tokenize(string q)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < q.Length && char.IsWhiteSpace(q[i]))
            {
                i++;
            }

            if (i == q.Length)
            {
                return tokens;
            }

            if (q[i] is '(' or ')' || (q[i] == '-' && i + 1 < q.Length && q[i + 1] == '('))
            {
                var length = q[i] == '-' ? 2 : 1;
                tokens.Add(new Token(q[i] == ')' ? TokenKind.Close : TokenKind.Open, q.Substring(i, length)));
                i += length;
                continue;
            }

            var start = i;
            var quoted = false;
            while (i < q.Length && (quoted || !(char.IsWhiteSpace(q[i]) || q[i] is '(' or ')')))
            {
                quoted ^= q[i] == '"';
                i++;
            }

            var raw = q[start..i];
            if (quoted)
            {
                throw Fail(raw.TrimEnd(), "unbalanced quote");
            }

            tokens.Add(new Token(raw switch { "OR" => TokenKind.Or, "AND" => TokenKind.And, _ => TokenKind.Term }, raw));
        }
    }

    /// <summary>
    /// Reads the tokens as <c>query := alternatives; alternatives := all ("OR" all)*; all := unit (["AND"] unit)*;
    /// unit := term | "(" alternatives ")" | "-(" alternatives ")"</c>. <c>created:</c> only narrows the
    /// whole query, so it may not stand inside parentheses or beside an OR.
    /// </summary>
    private sealed class Grouping(List<Token> tokens, TimeZoneInfo zone)
    {
        private const int MaxDepth = 32;
        private int _next;
        private EventFilter _window = EventFilter.All;
        private string? _created;

        public EventFilter Query()
        {
            var alternatives = Alternatives(0);
            if (_next < tokens.Count)
            {
                throw Fail(")", "')' without '('");
            }

            if (_created is not null && alternatives.Count > 1)
            {
                throw Fail(_created, "'created' cannot be one side of an OR (it narrows the whole query)");
            }

            return _window with { Terms = alternatives.Count == 1 ? alternatives[0] : [Group(alternatives, negated: false)] };
        }

        private List<IReadOnlyList<FilterTerm>> Alternatives(int depth)
        {
            var alternatives = new List<IReadOnlyList<FilterTerm>> { All(depth) };
            while (Peek() == TokenKind.Or)
            {
                _next++;
                if (Peek() is not (TokenKind.Term or TokenKind.Open))
                {
                    throw Fail("OR", "'OR' needs a term on each side");
                }

                alternatives.Add(All(depth));
            }

            return alternatives;
        }

        private List<FilterTerm> All(int depth)
        {
            var terms = new List<FilterTerm>();
            var units = 0;
            while (true)
            {
                switch (Peek())
                {
                    case TokenKind.Term:
                        Term(tokens[_next++].Text, depth, terms);
                        units++;
                        break;
                    case TokenKind.Open:
                        Group(tokens[_next++], depth, terms);
                        units++;
                        break;
                    case TokenKind.And when units > 0:
                        _next++;
                        if (Peek() is not (TokenKind.Term or TokenKind.Open))
                        {
                            throw Fail("AND", "'AND' needs a term on each side");
                        }

                        break;
                    default:
                        return units > 0 ? terms : throw Empty();
                }
            }
        }

        private void Term(string raw, int depth, List<FilterTerm> terms)
        {
            var (term, window) = ParseTerm(raw, zone);
            if (window is null)
            {
                terms.Add(term!);
                return;
            }

            if (depth > 0)
            {
                throw Fail(raw, "'created' cannot be inside parentheses (it narrows the whole query)");
            }

            _window = _window.And(window);
            _created ??= raw;
        }

        private void Group(Token open, int depth, List<FilterTerm> terms)
        {
            if (depth == MaxDepth)
            {
                throw Fail(open.Text, $"more than {MaxDepth} nested parentheses");
            }

            if (Peek() == TokenKind.Close)
            {
                throw Fail(open.Text + ")", "empty parentheses");
            }

            var alternatives = Alternatives(depth + 1);
            if (Peek() != TokenKind.Close)
            {
                throw Fail(open.Text, "'(' without ')'");
            }

            _next++;
            var negated = open.Text[0] == '-';
            if (alternatives.Count == 1 && !negated)
            {
                terms.AddRange(alternatives[0]);
            }
            else
            {
                terms.Add(Group(alternatives, negated));
            }
        }

        private SearchSyntaxException Empty() => Peek() switch
        {
            TokenKind.Or => Fail("OR", "'OR' needs a term on each side"),
            TokenKind.And => Fail("AND", "'AND' needs a term on each side"),
            TokenKind.Close => Fail(")", "')' without '('"),
            _ => Fail("(", "'(' without ')'"),
        };

        private TokenKind? Peek() => _next < tokens.Count ? tokens[_next].Kind : null;

        private static FilterTerm Group(List<IReadOnlyList<FilterTerm>> alternatives, bool negated) =>
            new(FilterField.Any, string.Empty, negated) { Alternatives = alternatives };
    }

    private static (FilterTerm? Term, EventFilter? Window) ParseTerm(string raw, TimeZoneInfo zone)
    {
        var negated = raw[0] == '-';
        var body = negated ? raw[1..] : raw;
        if (body.Length == 0)
        {
            throw Fail(raw, "nothing after '-'");
        }

        var colon = FirstUnquotedColon(body);
        if (colon < 0)
        {
            var text = Unquote(body);
            return string.IsNullOrWhiteSpace(text)
                ? throw Fail(raw, "empty phrase")
                : (new FilterTerm(FilterField.Text, text, negated), null);
        }

        var name = body[..colon];
        var value = Unquote(body[(colon + 1)..]);
        if (name.Equals(Created, StringComparison.OrdinalIgnoreCase))
        {
            return negated
                ? throw Fail(raw, "'created' cannot be negated (use created:<D or created:>D)")
                : (null, CreatedWindow(value, zone, raw));
        }

        if (name.Length == 0)
        {
            throw Fail(raw, "missing field name before ':'");
        }

        if (!Qualifiers.TryGetValue(name, out var field))
        {
            throw Fail(raw, $"unknown field '{name}'");
        }

        return (FilterValues.Parse(field, name.ToLowerInvariant(), value, negated, problem => Fail(raw, problem)), null);
    }

    private static EventFilter CreatedWindow(string value, TimeZoneInfo zone, string raw)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Fail(raw, $"empty value for '{Created}'");
        }

        foreach (var op in (ReadOnlySpan<string>)[">=", "<=", ">", "<"])
        {
            if (value.StartsWith(op, StringComparison.Ordinal))
            {
                var (start, after) = Bounds(value[op.Length..], zone, raw);
                return op switch
                {
                    ">=" => new EventFilter { From = start },
                    ">" => new EventFilter { From = after },
                    "<=" => new EventFilter { To = after },
                    _ => new EventFilter { To = start },
                };
            }
        }

        var dots = value.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            var (start, after) = Bounds(value, zone, raw);
            return new EventFilter { From = start, To = after };
        }

        var first = value[..dots];
        var last = value[(dots + 2)..];
        if (first == "*" && last == "*")
        {
            throw Fail(raw, "'*..*' bounds nothing (leave 'created' out to search all times)");
        }

        var from = first == "*" ? (DateTimeOffset?)null : Bounds(first, zone, raw).Start;
        var to = last == "*" ? (DateTimeOffset?)null : Bounds(last, zone, raw).After;
        return from >= to
            ? throw Fail(raw, $"the range '{value}' ends before it starts")
            : new EventFilter { From = from, To = to };
    }

    private static (DateTimeOffset Start, DateTimeOffset After) Bounds(string text, TimeZoneInfo zone, string raw)
    {
        if (text.Length == 0)
        {
            throw Fail(raw, "missing date");
        }

        return SearchTime.TryParseBounds(text, zone, out var start, out var after)
            ? (start, after)
            : throw Fail(raw, $"'{text}' is not a yyyy-MM-dd day or an RFC 3339 time");
    }

    private static int FirstUnquotedColon(string text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == ':' && !quoted)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Unquote(string text) => text.Replace("\"", string.Empty, StringComparison.Ordinal);

    private static SearchSyntaxException Fail(string term, string problem) => new(term, $"{problem} in term '{term}'");
}
