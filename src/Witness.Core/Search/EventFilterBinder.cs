namespace Witness.Search;

/// <summary>
/// Builds an <see cref="EventFilter"/> from the filter parameters of <c>GET /v1/events</c> and
/// <c>GET /v1/events/export</c> (SPEC §4), so that a parameter and the matching query qualifier
/// (<c>?action=inbox.*</c> and <c>q=action:inbox.*</c>) always mean the same.
/// </summary>
public static class EventFilterBinder
{
    private static readonly (string Name, FilterField Field)[] FieldParameters =
    [
        ("actor", FilterField.Actor),
        ("action", FilterField.Action),
        ("category", FilterField.Category),
        ("type", FilterField.Type),
        ("outcome", FilterField.Outcome),
        ("target", FilterField.Target),
        ("ip", FilterField.Ip),
    ];

    /// <summary>
    /// Every parameter name <see cref="FromParameters"/> reads. A caller that wants a misspelt
    /// parameter to be an error rather than ignored checks the request against this list (plus its
    /// own parameters, such as <c>limit</c> and <c>cursor</c>).
    /// </summary>
    public static IReadOnlyList<string> ParameterNames { get; } =
        ["from", "to", .. FieldParameters.Select(p => p.Name), "q"];

    /// <summary>
    /// Reads the filter parameters through <paramref name="get"/> and combines them, and the query
    /// in <c>q</c>, with <see cref="EventFilter.And"/>.
    /// </summary>
    /// <remarks>
    /// <para><c>from</c> (inclusive) and <c>to</c> (exclusive) take an RFC 3339 time or a
    /// <c>yyyy-MM-dd</c> day in <paramref name="zone"/>: <c>from</c> a day means its first instant,
    /// <c>to</c> a day means the end of that day (the next local midnight), so
    /// <c>from=2023-06-01&amp;to=2023-06-30</c> covers all of June. Times in the result are UTC.</para>
    /// <para><c>actor</c>, <c>action</c> (exact or <c>inbox.*</c>), <c>category</c>, <c>type</c>,
    /// <c>outcome</c>, <c>target</c> (<c>type:id</c> or <c>id</c>) and <c>ip</c> (address or CIDR)
    /// take their value as is, without quotes or negation, and are checked exactly as the qualifiers
    /// of <see cref="SearchQueryParser"/>. A parameter that is missing, empty or blank is not applied,
    /// as an HTML form sends its unfilled fields that way.</para>
    /// </remarks>
    /// <param name="get">The value of a query parameter by name, or null when it is absent.</param>
    /// <param name="zone">The tenant's zone, in which days are read.</param>
    /// <exception cref="SearchSyntaxException">
    /// A parameter's value is invalid, or <c>to</c> is not after <c>from</c>: <see cref="SearchSyntaxException.Term"/>
    /// is <c>name=value</c> (<c>from=yesterday</c>) and the message names it. An error inside
    /// <c>q</c> is thrown as <see cref="SearchQueryParser.Parse"/> throws it, naming the term of the query.
    /// </exception>
    public static EventFilter FromParameters(Func<string, string?> get, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(get);
        ArgumentNullException.ThrowIfNull(zone);

        var fromText = Present(get("from"));
        var toText = Present(get("to"));
        var from = fromText is null ? (DateTimeOffset?)null : Time("from", fromText, zone, endOfDay: false);
        var to = toText is null ? (DateTimeOffset?)null : Time("to", toText, zone, endOfDay: true);
        if (from >= to)
        {
            throw Fail("to", toText!, $"'to' is not after 'from={fromText}'");
        }

        var terms = new List<FilterTerm>();
        foreach (var (name, field) in FieldParameters)
        {
            if (Present(get(name)) is { } value)
            {
                terms.Add(FilterValues.Parse(field, name, value, negated: false, problem => Fail(name, value, problem)));
            }
        }

        var filter = new EventFilter { From = from, To = to, Terms = terms };
        return filter.And(SearchQueryParser.Parse(get("q"), zone));
    }

    private static string? Present(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static DateTimeOffset Time(string name, string value, TimeZoneInfo zone, bool endOfDay)
    {
        if (!SearchTime.TryParseBounds(value, zone, out var start, out var after))
        {
            throw Fail(name, value, $"'{value}' is not a yyyy-MM-dd day or an RFC 3339 time");
        }

        return endOfDay && SearchTime.TryParseDay(value, out _) ? after : start;
    }

    private static SearchSyntaxException Fail(string name, string value, string problem) =>
        new($"{name}={value}", $"{problem} in parameter '{name}={value}'");
}
