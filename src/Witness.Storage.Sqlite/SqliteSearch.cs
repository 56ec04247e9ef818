using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

/// <summary>
/// Turns an <see cref="EventFilter"/> into one parameterized query, newest first. The most
/// selective positive term picks the index that drives the scan (actor id or an email's actor id,
/// then target, then exact action), and every index ends in <c>(occurred_at, seq)</c>, so the first page is read in order
/// and never sorted. Everything else is checked on the time index, which carries the
/// low-cardinality columns itself.
/// </summary>
internal static class SqliteSearch
{
    /// <summary>Finds the actor ids seen with an email (at most two: one is all a search needs to know).</summary>
    public const string ActorsOfEmailSql = "SELECT actor_id FROM actor_emails WHERE tenant_id = $t AND email = $email LIMIT 2";

    /// <summary>
    /// The email of the filter's first positive actor term, as stored (lower case), when that term is an
    /// email: the caller looks up its actor ids with <see cref="ActorsOfEmailSql"/> and passes them to
    /// <see cref="Build"/>, so the search reads ix_events_actor (there is no email index).
    /// </summary>
    public static string? DrivingEmail(EventFilter filter) =>
        filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Actor) is { } term && IsEmail(term.Value)
            ? EventIndexKeys.IndexText(term.Value.ToLowerInvariant())
            : null;

    /// <summary>
    /// The side row of a split event (migration 029), joined to the events row <c>e</c> as <c>p</c> by a reader of its values
    /// record. A search's conditions never read <c>p</c> (<see cref="SplitColumns"/>), so a list looks up the side rows of the
    /// rows it returns only, and a count (<see cref="SqliteStore.ScanSource"/>) joins none.
    /// </summary>
    public const string PersonalJoin = "LEFT JOIN event_personal p ON p.rid = e.rid";

    /// <summary>
    /// The lower-case actor email of the side row of the events row <c>e</c> (NULL when it has none): one seek of
    /// ix_event_personal_rid, which carries every column a search or count reads of a side row (migration 030).
    /// </summary>
    internal const string PersonalEmail = "(SELECT q.email FROM event_personal q WHERE q.rid = e.rid)";

    /// <summary>The IP key of the side row of <c>e</c>, as <see cref="PersonalEmail"/>.</summary>
    internal const string PersonalIp = "(SELECT q.ip FROM event_personal q WHERE q.rid = e.rid)";

    /// <summary>The personal free text of the side row of <c>e</c>, as <see cref="PersonalEmail"/>.</summary>
    internal const string PersonalText = "(SELECT q.text FROM event_personal q WHERE q.rid = e.rid)";

    /// <summary>
    /// Writes the query for one page into <paramref name="command"/>. <paramref name="emailActors"/> are the
    /// actor ids seen with <see cref="DrivingEmail"/> ('' for events with no actor id), when it is not null.
    /// </summary>
    public static void Build(SqliteCommand command, long tenantId, EventFilter filter, EventCursor? after, int limit, IReadOnlyList<string>? emailActors = null)
    {
        var (from, alias, where) = Where(command, tenantId, filter, after, emailActors);
        command.CommandText =
            $"SELECT e.seq, e.occurred_at, e.body, e.hash, e.personal, p.record FROM {from} {PersonalJoin} WHERE {where} " +
            $"ORDER BY {alias}.occurred_at DESC, {alias}.seq DESC LIMIT {limit}";
    }

    /// <summary>
    /// The FROM and WHERE of a search, its parameters added to <paramref name="command"/> (<c>$t</c> and <c>$pN</c>):
    /// the one mapping of a filter to SQL, which the list (<see cref="Build"/>) and the counts
    /// (<see cref="SqliteStore.CountAsync"/>) share. <c>e</c> is the events row; <c>Alias</c> is the table whose index drives the scan.
    /// With <paramref name="inRanges"/>, the rows are read from the rid ranges of <c>$ranges</c> (free-text blocks, <see cref="SqliteStore.RidRangesJson"/>), which the
    /// caller binds: a free-text term then matches a split event's personal text through one read of the side rows of those
    /// ranges (<see cref="Dialect.InRanges"/>) instead of a lookup of each events row's side row.
    /// </summary>
    public static (string From, string Alias, string Where) Where(SqliteCommand command, long tenantId, EventFilter filter, EventCursor? after, IReadOnlyList<string>? emailActors, bool inRanges = false)
    {
        var where = new StringBuilder();
        var parameters = command.Parameters;
        parameters.AddWithValue("$t", tenantId);
        var n = 0;
        string Param(object value)
        {
            var name = $"$p{n++}";
            // Compared with index columns, which hold U+FFFD for U+0000 (EventIndexKeys.IndexText).
            parameters.AddWithValue(name, value is string text ? EventIndexKeys.IndexText(text) : value);
            return name;
        }

        // An email drives the actor index when every event with that email has one and the same actor id.
        var actorTerm = filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Actor);
        var actorId = actorTerm is null ? null
            : !IsEmail(actorTerm.Value) ? actorTerm.Value
            : emailActors is [{ Length: > 0 } only] ? only
            : null;
        var driver = (actorId is null ? null : actorTerm)
            ?? filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Target)
            ?? filter.Terms.FirstOrDefault(t => !t.Negated && t.Field == FilterField.Action && !t.Prefix);

        string from;
        string alias;
        if (driver?.Field == FilterField.Target)
        {
            alias = "x";
            from = $"event_targets x JOIN events e ON e.rid = x.tenant_id * {SqliteStore.SeqsPerTenant} + x.seq";
            where.Append(CultureInfo.InvariantCulture, $"x.tenant_id = $t AND x.target_id = {Param(driver.Value)}");
            if (driver.TargetType is not null)
            {
                where.Append(CultureInfo.InvariantCulture, $" AND x.target_type = {Param(driver.TargetType)}");
            }
        }
        else
        {
            alias = "e";
            var index = driver switch
            {
                { Field: FilterField.Actor } => "ix_events_actor",
                { Field: FilterField.Action } => "ix_events_action",
                _ => "ix_events_time",
            };
            from = $"events e INDEXED BY {index}";
            where.Append("e.tenant_id = $t");
            if (driver?.Field == FilterField.Actor && IsEmail(driver.Value))
            {
                where.Append(CultureInfo.InvariantCulture, $" AND e.actor_id = {Param(actorId!)}");
            }
        }

        EventFilterSql.AppendConditions(where, inRanges ? Dialect.InRanges : Dialect.Instance, Param, filter, after, alias, driver?.Field == FilterField.Target ? driver : null);
        return (from, alias, SplitColumns(where.ToString()));
    }

    /// <summary>
    /// The conditions with the actor email and IP read from the event row, or for a split event (whose row holds NULL
    /// there) from its side row (<see cref="PersonalEmail"/>, <see cref="PersonalIp"/>: looked up only when the row's own is NULL).
    /// The SQL holds placeholders, never values, so only the mapping's own column names are replaced.
    /// </summary>
    private static string SplitColumns(string where) => where
        .Replace("e.actor_email = ", $"coalesce(e.actor_email, {PersonalEmail}) = ", StringComparison.Ordinal)
        .Replace("e.ip BETWEEN ", $"coalesce(e.ip, {PersonalIp}) BETWEEN ", StringComparison.Ordinal);

    /// <summary>The condition of one term (<see cref="EventFilterSql.Checked"/> in SQLite's dialect).</summary>
    internal static string Checked(FilterTerm term, Func<object, string> param) => EventFilterSql.Checked(term, Dialect.Instance, param);

    private static bool IsEmail(string value) => EventFilterSql.IsEmail(value);

    private sealed class Dialect(bool inRanges) : IEventFilterDialect
    {
        public static readonly Dialect Instance = new(false);

        /// <summary>
        /// For rows read from the rid ranges of <c>$ranges</c>: a free-text term is looked for in the side rows of those ranges, read
        /// from ix_event_personal_rid (migration 030) once per query (SQLite keeps the uncorrelated IN list aside), and each events
        /// row probes that list. A lookup of each row's side row took a free-text histogram of a month on split rows from 63 to
        /// ~190 ms (bench/RESULTS.md, session 14).
        /// </summary>
        public static readonly Dialect InRanges = new(true);

        public string TargetOfEvent => "y.occurred_at = e.occurred_at AND y.seq = e.seq";

        public object Time(long micros) => micros;

        // A split event's personal values are in its side row's text, one per line like the row's own text, so a term
        // matches one or the other, never across both; the side row is read only when the row's own text does not match.
        public string Contains(string text, string term) => text != "e.search_text" ? $"instr({text}, {term}) > 0"
            : inRanges ? $"(instr(e.search_text, {term}) > 0 OR e.rid IN ({PersonalTextInRanges(term)}))"
            : $"(instr(e.search_text, {term}) > 0 OR instr({PersonalText}, {term}) > 0)";

        private static string PersonalTextInRanges(string term) =>
            "SELECT q.rid FROM json_each($ranges) k CROSS JOIN event_personal q INDEXED BY ix_event_personal_rid " +
            $"WHERE q.rid BETWEEN (k.value ->> 0) AND (k.value ->> 1) AND instr(q.text, {term}) > 0";

        public string CategoryEquals(string category, string value) => $"{category} = {value} COLLATE NOCASE";

        public string NotTrue(string condition) => $"coalesce(({condition}), 0) = 0";

        // Spelled out rather than as a row value, so the planner seeks the time index by it.
        public string Before(string alias, string occurred, string seq) =>
            $"({alias}.occurred_at < {occurred} OR ({alias}.occurred_at = {occurred} AND {alias}.seq < {seq}))";
    }
}
