using System.CommandLine;
using Witness.Server;

namespace Witness.Cli;

/// <summary>The options of <c>serve</c> that name its logs for outsiders (docs/witnessing.md).</summary>
internal static class ServeWitnessingOptions
{
    private const string OriginOption = "--origin";

    private static Option<string> Origin()
    {
        var origin = new Option<string>(OriginOption)
        {
            Description = "The origin prefix of the server's logs and the name of its signing keys: a schema-less URL such as audit.example.com names tenant logs <prefix>/tenants/<tenant> and the heads log <prefix>/heads. Default witness (logs witness/<tenant>, as before prefixes).",
            DefaultValueFactory = _ => "witness",
            HelpName = "PREFIX",
        };
        origin.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrEmpty(value) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '+') || value.Contains("://", StringComparison.Ordinal) || value.EndsWith('/'))
            {
                result.AddError($"{OriginOption}: '{value}' is not an origin prefix: no scheme, spaces, plus signs or trailing slash (such as audit.example.com)");
            }
        });
        return origin;
    }

    public static IEnumerable<Option> Create() => [Origin()];

    public static void Apply(ParseResult parse, WitnessServerOptions options)
    {
        options.Origin = parse.GetValue<string>(OriginOption) ?? options.Origin;
    }
}
