using System.Globalization;
using System.Text;
using Witness.Storage;

namespace Witness.Search;

/// <summary>
/// The few places where the SQL of a filter differs between stores. Everything else of the mapping
/// is <see cref="EventFilterSql"/>, written once. Column names are those of every store's
/// <c>events</c> table (aliased <c>e</c>) and <c>event_targets</c>.
/// </summary>
public interface IEventFilterDialect
{
    /// <summary>The bound value of a time compared with <c>occurred_at</c>, from microseconds since the Unix epoch.</summary>
    object Time(long micros);

    /// <summary>True when <paramref name="text"/> (a column) contains <paramref name="term"/> (a placeholder) as a substring.</summary>
    string Contains(string text, string term);

    /// <summary>True when the category column <paramref name="category"/> equals <paramref name="value"/> ignoring ASCII case.</summary>
    string CategoryEquals(string category, string value);

    /// <summary>True when <paramref name="condition"/> is false or NULL (a negated term holds where its column is NULL).</summary>
    string NotTrue(string condition);

    /// <summary>True when the row of <paramref name="alias"/> sorts after the cursor (<c>occurred_at, seq</c>), newest first.</summary>
    string Before(string alias, string occurred, string seq);

    /// <summary>The conditions joining an <c>event_targets</c> row <c>y</c> to its event <c>e</c>.</summary>
    string TargetOfEvent { get; }
}

/// <summary>
/// The one mapping of an <see cref="EventFilter"/> to SQL conditions, shared by the stores' search,
/// counts and stats; the store picks the table and index that drive the scan (its FROM) and passes
/// its <see cref="IEventFilterDialect"/> and a parameter function: <c>param(value)</c> binds a value
/// and returns its placeholder (a string is compared with index columns, so the store binds it as
/// <see cref="EventIndexKeys.IndexText"/>).
/// </summary>
public static class EventFilterSql
{
    /// <summary>
    /// Appends <c> AND …</c> for the filter's time range, the cursor and every term except
    /// <paramref name="skip"/> (a term the FROM already applies), to <paramref name="where"/>.
    /// <paramref name="alias"/> is the table whose <c>(occurred_at, seq)</c> the range and cursor test.
    /// </summary>
    public static void AppendConditions(
        StringBuilder where, IEventFilterDialect dialect, Func<object, string> param, EventFilter filter, EventCursor? after, string alias, FilterTerm? skip = null)
    {
        if (filter.From is { } fromTime)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND {alias}.occurred_at >= {param(dialect.Time(EventIndexKeys.Micros(fromTime)))}");
        }

        if (filter.To is { } toTime)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND {alias}.occurred_at < {param(dialect.Time(EventIndexKeys.Micros(toTime)))}");
        }

        if (after is not null)
        {
            var occurred = param(dialect.Time(after.OccurredAtMicros));
            where.Append(CultureInfo.InvariantCulture, $" AND {dialect.Before(alias, occurred, param(after.Seq))}");
        }

        foreach (var term in filter.Terms)
        {
            if (!ReferenceEquals(term, skip))
            {
                where.Append(" AND ").Append(Checked(term, dialect, param));
            }
        }
    }

    /// <summary>
    /// The condition of one term on the events row <c>e</c>, in parentheses: true where the term
    /// holds; a negated term also holds where the column it tests is NULL.
    /// </summary>
    public static string Checked(FilterTerm term, IEventFilterDialect dialect, Func<object, string> param) =>
        term.Negated ? dialect.NotTrue(Condition(term, dialect, param)) : $"({Condition(term, dialect, param)})";

    private static string Condition(FilterTerm term, IEventFilterDialect dialect, Func<object, string> param) => term.Field switch
    {
        FilterField.Actor when IsEmail(term.Value) => $"e.actor_email = {param(term.Value.ToLowerInvariant())}",
        FilterField.Actor => $"e.actor_id = {param(term.Value)}",

        // The columns compare as bytes (SQLite's BINARY, PostgreSQL's "C"), so a prefix is a range the action index can seek.
        FilterField.Action when term.Prefix => $"e.action >= {param(term.Value)} AND e.action < {param(PrefixEnd(term.Value))}",
        FilterField.Action => $"e.action = {param(term.Value)}",
        FilterField.Category => dialect.CategoryEquals("e.category", param(term.Value)),
        FilterField.Type => $"e.type = {param(term.Value)}",
        FilterField.Outcome => $"e.outcome = {param(term.Value)}",

        // 16-byte keys compare as unsigned bytes, so a CIDR block is a range.
        FilterField.Ip => $"e.ip BETWEEN {param(term.IpRange!.Low)} AND {param(term.IpRange!.High)}",
        FilterField.Text => dialect.Contains("e.search_text", param(term.Value.ToLowerInvariant())),
        FilterField.Target =>
            "EXISTS (SELECT 1 FROM event_targets y WHERE y.tenant_id = e.tenant_id AND y.target_id = " + param(term.Value) +
            (term.TargetType is null ? "" : " AND y.target_type = " + param(term.TargetType)) +
            " AND " + dialect.TargetOfEvent + ")",
        FilterField.Any => string.Join(" OR ", term.Alternatives.Select(terms => "(" + string.Join(" AND ", terms.Select(t => Checked(t, dialect, param))) + ")")),
        _ => throw new ArgumentOutOfRangeException(nameof(term), term.Field, "unknown filter field"),
    };

    /// <summary>Whether an actor term names an email rather than an actor id.</summary>
    public static bool IsEmail(string value) => value.Contains('@', StringComparison.Ordinal);

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/>.</summary>
    private static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
