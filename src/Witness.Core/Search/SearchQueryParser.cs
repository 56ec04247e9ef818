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
    /// <c>created:</c>, a lone <c>-</c>, an empty phrase or an unbalanced quote. Nothing is ever
    /// dropped to make a query parse.
    /// </exception>
    public static EventFilter Parse(string? q, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (string.IsNullOrWhiteSpace(q))
        {
            return EventFilter.All;
        }

        var terms = new List<FilterTerm>();
        var window = EventFilter.All;
        var i = 0;
        while (true)
        {
            while (i < q.Length && char.IsWhiteSpace(q[i]))
            {
                i++;
            }

            if (i == q.Length)
            {
                break;
            }

            var start = i;
            var quoted = false;
            while (i < q.Length && (quoted || !char.IsWhiteSpace(q[i])))
            {
                quoted ^= q[i] == '"';
                i++;
            }

            var raw = q[start..i];
            if (quoted)
            {
                throw Fail(raw.TrimEnd(), "unbalanced quote");
            }

            var term = ParseTerm(raw, zone);
            if (term.Window is { } created)
            {
                window = window.And(created);
            }
            else
            {
                terms.Add(term.Term!);
            }
        }

        return window with { Terms = terms };
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
