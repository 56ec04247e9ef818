using System.Globalization;
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
            $"SELECT e.seq, e.occurred_at, e.body, e.hash, e.personal, e.personal_values FROM {from} WHERE {where} " +
            $"ORDER BY {alias}.occurred_at DESC, {alias}.seq DESC LIMIT {limit}";
    }

    /// <summary>
    /// The FROM and WHERE of a search, its parameters added to <paramref name="command"/> by position (<c>$1</c> is the tenant):
    /// the one mapping of a filter to SQL, which the list (<see cref="Build"/>) and the counts
    /// (<see cref="PostgresStore.CountAsync"/>) share. <c>e</c> is the events row with its personal values filled back in
    /// (<c>events_joined</c>, migration 029); <c>Alias</c> is the table whose index drives the scan. With <paramref name="runs"/>
    /// (the first and last seqs of free-text blocks, bound as <c>$2</c> and <c>$3</c>), the rows are read from those runs, and a
    /// free-text term matches a split event's personal text through one read of the side rows of the runs (<see cref="Dialect.InRuns"/>).
    /// </summary>
    public static (string From, string Alias, string Where) Where(NpgsqlCommand command, long tenantId, EventFilter filter, EventCursor? after, long[][]? runs = null)
    {
        var where = new StringBuilder();
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter { Value = tenantId });
        if (runs is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = runs[0] });
            parameters.Add(new NpgsqlParameter { Value = runs[1] });
        }

        string Param(object value)
        {
            // Compared with index columns, which hold U+FFFD for U+0000 (EventIndexKeys.IndexText), which PostgreSQL text cannot hold.
            parameters.Add(new NpgsqlParameter { Value = value is string text ? EventIndexKeys.IndexText(text) : value });
            return $"${parameters.Count}";
        }

        var driver = filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Target);
        var email = driver is null ? filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Actor && EventFilterSql.IsEmail(t.Value)) : null;
        string from;
        string alias;
        if (email is not null)
        {
            // An actor's email drives from the email indexes in search order: split rows' (event_personal, 029) and those of
            // rows stored before (ix_events_email), merged; a row is in one of them only. events_joined's coalesced email
            // has no index, and a search for an email no event has would read the whole tenant.
            alias = "m";
            var value = Param(email.Value.ToLowerInvariant());
            from = "(SELECT tenant_id, seq, received_at, occurred_at FROM event_personal WHERE tenant_id = $1 AND email = " + value +
                   " UNION ALL SELECT tenant_id, seq, received_at, occurred_at FROM events WHERE tenant_id = $1 AND actor_email = " + value + ") m " +
                   "JOIN events_joined e ON e.tenant_id = m.tenant_id AND e.seq = m.seq AND e.received_at = m.received_at";
            where.Append("e.tenant_id = $1");
            driver = email;
        }
        else if (driver is not null)
        {
            alias = "x";
            from = "event_targets x JOIN events_joined e ON e.tenant_id = x.tenant_id AND e.received_at = x.received_at AND e.seq = x.seq";
            where.Append(CultureInfo.InvariantCulture, $"x.tenant_id = $1 AND x.target_id = {Param(driver.Value)}");
            if (driver.TargetType is not null)
            {
                where.Append(CultureInfo.InvariantCulture, $" AND x.target_type = {Param(driver.TargetType)}");
            }
        }
        else
        {
            alias = "e";
            from = "events_joined e";
            where.Append("e.tenant_id = $1");
        }

        EventFilterSql.AppendConditions(where, runs is null ? Dialect.Instance : Dialect.InRuns, Param, filter, after, alias, driver);
        return (from, alias, where.ToString());
    }

    /// <summary>The condition of one term (<see cref="EventFilterSql.Checked"/> in PostgreSQL's dialect).</summary>
    internal static string Checked(FilterTerm term, Func<object, string> param) => EventFilterSql.Checked(term, Dialect.Instance, param);

    private sealed class Dialect(bool inRuns) : IEventFilterDialect
    {
        public static readonly Dialect Instance = new(false);

        /// <summary>
        /// For rows read from the runs of <c>$2</c> and <c>$3</c>: a free-text term is looked for in the events row's public text
        /// or in the side rows of those runs, read once per query through event_personal's key (a hashed subplan each events row
        /// probes), so the events row is tested without its side row and joined to it only when a column of it is read. The
        /// matches are gathered into an array first (an InitPlan) and unnested: the planner cannot tell how many there are, so it
        /// hashes them; estimated from the runs (1,667 rows per run, ~70 read), they seemed too many to hash for a month's 900
        /// runs, and every events row scanned the list (5 s). Joined row by row (events_joined's search_text), a free-text
        /// histogram of a month on split rows took ~220 ms instead of ~60 (bench/RESULTS.md, session 14).
        /// </summary>
        public static readonly Dialect InRuns = new(true);

        // received_at too: both tables are partitioned by it.
        public string TargetOfEvent => "y.occurred_at = e.occurred_at AND y.seq = e.seq AND y.received_at = e.received_at";

        public object Time(long micros) => PostgresTime.FromMicros(micros);

        public string Contains(string text, string term) => inRuns && text == "e.search_text"
            ? $"(strpos(e.public_text, {term}) > 0 OR e.seq IN (SELECT unnest(ARRAY(SELECT q.seq FROM unnest($2::bigint[], $3::bigint[]) AS k(first_seq, last_seq) " +
              $"CROSS JOIN LATERAL (SELECT q.seq FROM event_personal q WHERE q.tenant_id = $1 AND q.seq BETWEEN k.first_seq AND k.last_seq AND strpos(q.text, {term}) > 0 OFFSET 0) q))))"
            : $"strpos({text}, {term}) > 0";

        public string CategoryEquals(string category, string value) => $"lower({category}) = lower({value})";

        public string NotTrue(string condition) => $"NOT coalesce(({condition}), false)";

        public string Before(string alias, string occurred, string seq) => $"({alias}.occurred_at, {alias}.seq) < ({occurred}, {seq})";
    }
}
