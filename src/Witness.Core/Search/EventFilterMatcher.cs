using Witness.Events;
using Witness.Storage;

namespace Witness.Search;

/// <summary>
/// Tests one event against an <see cref="EventFilter"/> in memory, with the same meaning as the
/// stores' queries: actor by id or (case-insensitive) email, action exact or by prefix, category
/// with ASCII case folded, type, outcome, a target by id and optional type, an IP range, free text
/// in the event's lower-case search text (<see cref="EventIndexKeys.SearchText"/>), groups (OR), negation, and
/// the <c>occurred_at</c> window (<see cref="EventFilter.From"/> inclusive, <see cref="EventFilter.To"/> exclusive).
/// A term about a value the event lacks does not hold, so its negation does.
/// </summary>
public static class EventFilterMatcher
{
    /// <summary>Whether <paramref name="e"/> matches; <paramref name="keys"/> are its index keys (<see cref="EventIndexKeys.From"/>).</summary>
    public static bool Matches(EventFilter filter, AuditEvent e, EventIndexKeys keys)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(keys);
        if ((filter.From is { } from && e.OccurredAt < from) || (filter.To is { } to && e.OccurredAt >= to))
        {
            return false;
        }

        return AllHold(filter.Terms, e, keys);
    }

    private static bool AllHold(IReadOnlyList<FilterTerm> terms, AuditEvent e, EventIndexKeys keys)
    {
        foreach (var term in terms)
        {
            if (Holds(term, e, keys) == term.Negated)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Holds(FilterTerm term, AuditEvent e, EventIndexKeys keys) => term.Field switch
    {
        FilterField.Actor when term.Value.Contains('@') => keys.ActorEmail == term.Value.ToLowerInvariant(),
        FilterField.Actor => keys.ActorId == term.Value,
        FilterField.Action when term.Prefix => e.Action.StartsWith(term.Value, StringComparison.Ordinal),
        FilterField.Action => e.Action == term.Value,
        FilterField.Category => e.Category is not null && AsciiEqualsIgnoreCase(e.Category, term.Value),
        FilterField.Type => e.Type == term.Value,
        FilterField.Outcome => e.Outcome == term.Value,
        FilterField.Target => e.Targets.Any(t => t.Id == term.Value && (term.TargetType is null || t.Type == term.TargetType)),
        FilterField.Ip => keys.Ip is { } ip && term.IpRange is { } range
            && ip.AsSpan().SequenceCompareTo(range.Low) >= 0 && ip.AsSpan().SequenceCompareTo(range.High) <= 0,
        FilterField.Text => keys.SearchText.Contains(term.Value.ToLowerInvariant(), StringComparison.Ordinal),
        FilterField.Any => term.Alternatives.Any(terms => AllHold(terms, e, keys)),
        _ => throw new ArgumentOutOfRangeException(nameof(term), term.Field, "unknown filter field"),
    };

    // SQLite's NOCASE folds ASCII letters only; PostgreSQL stores are expected to do the same.
    private static bool AsciiEqualsIgnoreCase(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (Fold(a[i]) != Fold(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static char Fold(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
}
