using System.CommandLine;
using Witness.Search;

namespace Witness.Cli;

/// <summary>
/// The search filters as command-line options, one per parameter of <c>GET /v1/events</c>
/// (<c>--from</c>, <c>--action</c>, <c>--q</c> …), read by the same <see cref="EventFilterBinder"/>.
/// </summary>
internal sealed class FilterOptions
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["from"] = "From this day (yyyy-MM-dd, in the tenant's zone) or RFC 3339 time, inclusive.",
        ["to"] = "To this day (inclusive) or RFC 3339 time (exclusive).",
        ["actor"] = "Actor id or email.",
        ["action"] = "Action, exact or a prefix such as inbox.*.",
        ["category"] = "Category.",
        ["type"] = "Log type: activity, access, webhook_failure, integration_failure.",
        ["outcome"] = "success or failure.",
        ["target"] = "Target as type:id, or an id.",
        ["ip"] = "IP address or CIDR block.",
        ["q"] = "A query in the search language, e.g. \"action:inbox.* -outcome:success\".",
    };

    private readonly Dictionary<string, Option<string?>> _options = [];

    public FilterOptions()
    {
        foreach (var name in EventFilterBinder.ParameterNames)
        {
            _options[name] = new Option<string?>($"--{name}") { Description = Descriptions.GetValueOrDefault(name, name), HelpName = name.ToUpperInvariant() };
        }
    }

    public IEnumerable<Option> All => _options.Values;

    /// <summary>The filters given, by parameter name, blank ones left out.</summary>
    public Dictionary<string, string> Given(ParseResult parse)
    {
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, option) in _options)
        {
            if (parse.GetValue(option) is { } value && !string.IsNullOrWhiteSpace(value))
            {
                given[name] = value;
            }
        }

        return given;
    }
}
