namespace Witness.Events;

/// <summary>
/// The email addresses a text holds, for the index of values at catalog-marked paths (docs/erasure.md): each <c>@</c>
/// with at least one character on either side, the address running both ways up to a space, a control character, a
/// quote, a bracket, a comma, a semicolon, a colon or another <c>@</c> (trailing dots dropped), at most 320 characters,
/// lower-cased. So <c>ada@example.com</c>, <c>Ada &lt;ada@example.com&gt;</c> and <c>mailto:ada@example.com.</c> all hold
/// <c>ada@example.com</c>.
/// </summary>
internal static class EmailTokens
{
    private const int MaxLength = 320;

    /// <summary>Adds the addresses of <paramref name="text"/> to <paramref name="into"/>.</summary>
    public static void Add(string text, HashSet<string> into)
    {
        for (var at = text.IndexOf('@', StringComparison.Ordinal); at >= 0; at = text.IndexOf('@', at + 1))
        {
            if (Around(text, at) is { } email)
            {
                into.Add(email);
            }
        }
    }

    /// <summary>Whether <paramref name="text"/> holds one of <paramref name="emails"/> (lower-case).</summary>
    public static bool AnyIn(string text, IReadOnlySet<string> emails)
    {
        for (var at = text.IndexOf('@', StringComparison.Ordinal); at >= 0; at = text.IndexOf('@', at + 1))
        {
            if (Around(text, at) is { } email && emails.Contains(email))
            {
                return true;
            }
        }

        return false;
    }

    private static string? Around(string text, int at)
    {
        var start = at;
        while (start > 0 && !Stops(text[start - 1]))
        {
            start--;
        }

        var end = at + 1;
        while (end < text.Length && !Stops(text[end]))
        {
            end++;
        }

        while (end > at + 1 && text[end - 1] == '.')
        {
            end--;
        }

        return start == at || end == at + 1 || end - start > MaxLength ? null : text[start..end].ToLowerInvariant();
    }

    private static bool Stops(char c) =>
        char.IsWhiteSpace(c) || char.IsControl(c) || c is '@' or '"' or '\'' or '<' or '>' or '(' or ')' or '[' or ']' or '{' or '}' or ',' or ';' or ':';
}
