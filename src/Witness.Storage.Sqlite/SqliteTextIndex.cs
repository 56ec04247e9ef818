using System.Text;
using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

/// <summary>
/// Uses the trigram index <c>events_text</c> (migration 006) to find the events a filter's free text
/// can match. A term of three or more characters becomes the AND of its trigrams, a group the OR of
/// its alternatives; the index names every event that contains the term (and some that only contain
/// its trigrams), and the search checks each one with the term itself.
/// </summary>
/// <remarks>
/// Reading candidates by rid and sorting them pays off only while they are few. A word in many events
/// is found sooner by reading the time index newest first until a page is full, so
/// <see cref="RareText"/> counts the candidates up to <see cref="CandidateLimit"/> and hands back the
/// index query only below it. At the limit a scan reads about <c>limit × events / CandidateLimit</c>
/// rows (10,000 for a page of 50 in 1,000,000 events), as many as the rid lookups would.
/// </remarks>
internal static class SqliteTextIndex
{
    /// <summary>Candidates above which the time-ordered scan is used instead of the index.</summary>
    public const int CandidateLimit = 5000;

    // More trigrams narrow little further and each one is another list for FTS5 to intersect.
    private const int MaxTrigramsPerTerm = 12;

    /// <summary>
    /// The FTS5 query for the filter's free text when the index names fewer than
    /// <see cref="CandidateLimit"/> events of the tenant, else null (also when no positive term has three
    /// or more characters: the index cannot narrow such a filter).
    /// </summary>
    public static string? RareText(SqliteConnection connection, long tenantId, EventFilter filter)
    {
        if (Query(filter.Terms) is not { } match)
        {
            return null;
        }

        using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT count(*) FROM (SELECT 1 FROM events_text WHERE events_text MATCH $m AND rowid BETWEEN $low AND $high LIMIT {CandidateLimit})";
        var low = tenantId * SqliteStore.SeqsPerTenant;
        command.Parameters.AddWithValue("$m", match);
        command.Parameters.AddWithValue("$low", low);
        command.Parameters.AddWithValue("$high", low + SqliteStore.SeqsPerTenant - 1);
        return (long)command.ExecuteScalar()! < CandidateLimit ? match : null;
    }

    /// <summary>The FTS5 query every event matching all <paramref name="terms"/> matches, or null when there is none narrower than all events.</summary>
    internal static string? Query(IReadOnlyList<FilterTerm> terms)
    {
        var parts = terms.Where(t => !t.Negated).Select(Query).OfType<string>().ToList();
        return parts.Count switch
        {
            0 => null,
            1 => parts[0],
            _ => string.Join(" AND ", parts.Select(p => $"({p})")),
        };
    }

    private static string? Query(FilterTerm term)
    {
        if (term.Field == FilterField.Any)
        {
            var alternatives = term.Alternatives.Select(Query).ToList();
            return alternatives.Any(a => a is null) ? null : string.Join(" OR ", alternatives.Select(a => $"({a})"));
        }

        return term.Field == FilterField.Text ? Trigrams(EventIndexKeys.IndexText(term.Value.ToLowerInvariant())) : null;
    }

    // The tokenizer cuts the text into runs of three code points; each is quoted as an FTS5 string.
    private static string? Trigrams(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        var trigrams = new List<string>();
        for (var i = 0; i + 3 <= runes.Length && trigrams.Count < MaxTrigramsPerTerm; i++)
        {
            var trigram = new StringBuilder(12).Append('"');
            foreach (var rune in runes.AsSpan(i, 3))
            {
                trigram.Append(rune == new Rune('"') ? "\"\"" : rune.ToString());
            }

            var quoted = trigram.Append('"').ToString();
            if (!trigrams.Contains(quoted))
            {
                trigrams.Add(quoted);
            }
        }

        return trigrams.Count == 0 ? null : string.Join(" AND ", trigrams);
    }
}
