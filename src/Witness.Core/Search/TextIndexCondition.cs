namespace Witness.Search;

/// <summary>
/// What a filter asks of a block's trigrams: a block can hold a match only when it holds every
/// trigram of <see cref="All"/> (a positive free-text term of three or more characters) and, for
/// each group in <see cref="AnyOf"/>, the condition of at least one alternative. Only positive terms
/// narrow; negations and other fields are checked on the rows. Null from <see cref="From"/> when
/// nothing in the filter narrows (no such term): the search then scans as before.
/// </summary>
public sealed record TextIndexCondition(IReadOnlyList<int> All, IReadOnlyList<IReadOnlyList<TextIndexCondition>> AnyOf)
{
    /// <summary>The condition of a filter's terms, or null when no positive term of three or more characters narrows it.</summary>
    public static TextIndexCondition? From(EventFilter filter) => Of(filter.Terms);

    private static TextIndexCondition? Of(IReadOnlyList<FilterTerm> terms)
    {
        var all = new SortedSet<int>();
        var anyOf = new List<IReadOnlyList<TextIndexCondition>>();
        foreach (var term in terms.Where(t => !t.Negated))
        {
            if (term.Field == FilterField.Text)
            {
                all.UnionWith(TextTrigrams.OfTerm(term.Value));
            }
            else if (term.Field == FilterField.Any && term.Alternatives.Count > 0)
            {
                var alternatives = term.Alternatives.Select(Of).ToList();

                // A group narrows only when every alternative does: one that does not could match anywhere.
                if (alternatives.All(a => a is not null))
                {
                    anyOf.Add(alternatives!);
                }
            }
        }

        return all.Count == 0 && anyOf.Count == 0 ? null : new TextIndexCondition([.. all], anyOf);
    }

    /// <summary>Writes the condition as an FTS5 query over <see cref="TextTrigrams.Token"/>s: AND, OR and parentheses.</summary>
    public string ToFts5()
    {
        var parts = All.Select(k => "\"" + TextTrigrams.Token(k) + "\"")
            .Concat(AnyOf.Select(group => "(" + string.Join(" OR ", group.Select(c => "(" + c.ToFts5() + ")")) + ")"));
        return string.Join(" AND ", parts);
    }
}
