using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Witness.Events;

namespace Witness.Search;

/// <summary>
/// Turns the value of one field into a <see cref="FilterTerm"/>, the same way whether it came from a
/// query qualifier (<c>action:inbox.*</c>) or an HTTP parameter (<c>?action=inbox.*</c>).
/// </summary>
internal static partial class FilterValues
{
    [GeneratedRegex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}\\z")]
    private static partial Regex DottedQuadPattern();

    [GeneratedRegex("^[0-9A-Fa-f:.]+\\z")]
    private static partial Regex Ipv6Pattern();

    /// <summary>
    /// Builds the term for <paramref name="field"/> (not <see cref="FilterField.Text"/>), or throws
    /// what <paramref name="fail"/> makes of a description of the problem.
    /// </summary>
    /// <param name="field">The field tested.</param>
    /// <param name="name">The field's name as the user knows it (<c>actor</c>), for messages.</param>
    /// <param name="value">The value, unquoted.</param>
    /// <param name="negated">Whether the term must not hold.</param>
    /// <param name="fail">Makes the exception to throw from a problem such as <c>empty value for 'actor'</c>.</param>
    public static FilterTerm Parse(FilterField field, string name, string value, bool negated, Func<string, SearchSyntaxException> fail)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw fail($"empty value for '{name}'");
        }

        return field switch
        {
            FilterField.Actor or FilterField.Category => new FilterTerm(field, value, negated),
            FilterField.Action => Action(value, negated, fail),
            FilterField.Type => OneOf(field, name, value, negated, LogTypes.All, fail),
            FilterField.Outcome => OneOf(field, name, value, negated, Outcomes.All, fail),
            FilterField.Target => Target(value, negated, fail),
            FilterField.Ip => Ip(value, negated, fail),
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a qualified field"),
        };
    }

    private static FilterTerm Action(string value, bool negated, Func<string, SearchSyntaxException> fail)
    {
        if (!value.Contains('*', StringComparison.Ordinal))
        {
            return EventParser.IsValidAction(value)
                ? new FilterTerm(FilterField.Action, value, negated)
                : throw fail($"'{value}' is not an action (1-128 characters of a-z 0-9 _ . : -)");
        }

        var prefix = value[..^1];
        if (!value.EndsWith(".*", StringComparison.Ordinal) || prefix.Length < 2 || prefix.Contains('*', StringComparison.Ordinal) || !EventParser.IsValidAction(prefix))
        {
            throw fail($"'{value}' is not an action or an action prefix such as 'inbox.*'");
        }

        return new FilterTerm(FilterField.Action, prefix, negated) { Prefix = true };
    }

    private static FilterTerm OneOf(FilterField field, string name, string value, bool negated, IReadOnlyList<string> allowed, Func<string, SearchSyntaxException> fail)
    {
        var lower = value.ToLowerInvariant();
        return allowed.Contains(lower)
            ? new FilterTerm(field, lower, negated)
            : throw fail($"unknown {name} '{value}' (expected {string.Join(", ", allowed)})");
    }

    private static FilterTerm Target(string value, bool negated, Func<string, SearchSyntaxException> fail)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new FilterTerm(FilterField.Target, value, negated);
        }

        var type = value[..colon];
        var id = value[(colon + 1)..];
        return string.IsNullOrWhiteSpace(type) || string.IsNullOrWhiteSpace(id)
            ? throw fail($"'{value}' is not a target (expected type:id or id)")
            : new FilterTerm(FilterField.Target, id, negated) { TargetType = type };
    }

    private static FilterTerm Ip(string value, bool negated, Func<string, SearchSyntaxException> fail)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? value : value[..slash];
        return IsPlainAddress(address) && IpRange.TryParse(value, out var range)
            ? new FilterTerm(FilterField.Ip, value, negated) { IpRange = range }
            : throw fail($"'{value}' is not an IP address or CIDR block");
    }

    // IPAddress.TryParse also takes "10" (0.0.0.10), "10.1", octal and hex parts, brackets and zone ids;
    // a user who types those means something else, so only the everyday forms are accepted.
    private static bool IsPlainAddress(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return Ipv6Pattern().IsMatch(text)
                && IPAddress.TryParse(text, out var v6)
                && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        return DottedQuadPattern().IsMatch(text)
            && IPAddress.TryParse(text, out var v4)
            && v4.ToString() == text;
    }
}
