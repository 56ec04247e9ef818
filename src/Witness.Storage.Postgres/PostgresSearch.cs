using System.Text;
using Npgsql;
using Witness.Search;

namespace Witness.Storage.Postgres;

/// <summary>
/// Turns an <see cref="EventFilter"/> into one parameterized query, newest first by
/// <c>(occurred_at, seq)</c>, with the same meaning as the SQLite search. A positive target term
/// drives the scan from <c>event_targets</c>; otherwise the planner picks among the actor, email,
/// action and time indexes, which all end in the sort key, so the first page is read in order from
/// each month partition and merged, never sorted.
/// </summary>
internal static class PostgresSearch
{
    public static void Build(NpgsqlCommand command, long tenantId, EventFilter filter, EventCursor? after, int limit)
    {
        var (from, alias, where) = Where(command, tenantId, filter, after);
        command.CommandText =
            $"SELECT e.seq, e.occurred_at, e.body, e.hash FROM {from} WHERE {where} " +
            $"ORDER BY {alias}.occurred_at DESC, {alias}.seq DESC LIMIT {limit}";
    }

    /// <summary>
    /// The FROM and WHERE of a search, its parameters added to <paramref name="command"/> by position (<c>$1</c> is the tenant):
    /// the one mapping of a filter to SQL, which the list (<see cref="Build"/>) and the counts
    /// (<see cref="PostgresStore.CountAsync"/>) share. <c>e</c> is the events row; <c>Alias</c> is the table whose index drives the scan.
    /// </summary>
    public static (string From, string Alias, string Where) Where(NpgsqlCommand command, long tenantId, EventFilter filter, EventCursor? after)
    {
        var where = new StringBuilder();
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter { Value = tenantId });
        string Param(object value)
        {
            // Compared with index columns, which hold U+FFFD for U+0000 (EventIndexKeys.IndexText), which PostgreSQL text cannot hold.
            parameters.Add(new NpgsqlParameter { Value = value is string text ? EventIndexKeys.IndexText(text) : value });
            return $"${parameters.Count}";
        }

        var driver = filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Target);
        string from;
        string alias;
        if (driver is not null)
        {
            alias = "x";
            from = "event_targets x JOIN events e ON e.tenant_id = x.tenant_id AND e.received_at = x.received_at AND e.seq = x.seq";
            where.Append($"x.tenant_id = $1 AND x.target_id = {Param(driver.Value)}");
            if (driver.TargetType is not null)
            {
                where.Append($" AND x.target_type = {Param(driver.TargetType)}");
            }
        }
        else
        {
            alias = "e";
            from = "events e";
            where.Append("e.tenant_id = $1");
        }

        if (filter.From is { } fromTime)
        {
            where.Append($" AND {alias}.occurred_at >= {Param(fromTime.UtcDateTime)}");
        }

        if (filter.To is { } toTime)
        {
            where.Append($" AND {alias}.occurred_at < {Param(toTime.UtcDateTime)}");
        }

        if (after is not null)
        {
            where.Append($" AND ({alias}.occurred_at, {alias}.seq) < ({Param(PostgresTime.FromMicros(after.OccurredAtMicros))}, {Param(after.Seq)})");
        }

        foreach (var term in filter.Terms)
        {
            if (ReferenceEquals(term, driver))
            {
                continue;
            }

            where.Append(" AND ").Append(Checked(term, Param));
        }

        return (from, alias, where.ToString());
    }

    private static string Condition(FilterTerm term, Func<object, string> param) => term.Field switch
    {
        FilterField.Actor when IsEmail(term.Value) => $"e.actor_email = {param(term.Value.ToLowerInvariant())}",
        FilterField.Actor => $"e.actor_id = {param(term.Value)}",
        // The columns use the "C" collation, so a prefix is a byte range the action index can seek.
        FilterField.Action when term.Prefix => $"e.action >= {param(term.Value)} AND e.action < {param(PrefixEnd(term.Value))}",
        FilterField.Action => $"e.action = {param(term.Value)}",
        FilterField.Category => $"lower(e.category) = lower({param(term.Value)})",
        FilterField.Type => $"e.type = {param(term.Value)}",
        FilterField.Outcome => $"e.outcome = {param(term.Value)}",
        // 16-byte keys compare as unsigned bytes, so a CIDR block is a range.
        FilterField.Ip => $"e.ip BETWEEN {param(term.IpRange!.Low)} AND {param(term.IpRange!.High)}",
        FilterField.Text => $"strpos(e.search_text, {param(term.Value.ToLowerInvariant())}) > 0",
        FilterField.Target => TargetCondition(term, param),
        FilterField.Any => string.Join(" OR ", term.Alternatives.Select(terms => "(" + string.Join(" AND ", terms.Select(t => Checked(t, param))) + ")")),
        _ => throw new ArgumentOutOfRangeException(nameof(term), term.Field, "unknown filter field"),
    };

    // A condition is NULL when the column it tests is; a negated term holds then, and a positive one does not.
    internal static string Checked(FilterTerm term, Func<object, string> param) =>
        term.Negated ? $"NOT coalesce(({Condition(term, param)}), false)" : $"({Condition(term, param)})";

    private static string TargetCondition(FilterTerm term, Func<object, string> param) =>
        "EXISTS (SELECT 1 FROM event_targets y WHERE y.tenant_id = e.tenant_id AND y.target_id = " + param(term.Value) +
        (term.TargetType is null ? "" : " AND y.target_type = " + param(term.TargetType)) +
        " AND y.occurred_at = e.occurred_at AND y.seq = e.seq AND y.received_at = e.received_at)";

    private static bool IsEmail(string value) => value.Contains('@', StringComparison.Ordinal);

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/>.</summary>
    private static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
