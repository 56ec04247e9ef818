using System.CommandLine;
using Witness.Server;
using Witness.Server.Witnessing;

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

    private static Option<string[]> Witnesses()
    {
        var witness = new Option<string[]>(WitnessOption)
        {
            Description = "A witness that cosigns the heads log: <verifier key>=<url>, the key of type 0x04 that `witness witness` prints and the URL its /add-checkpoint is under. Repeatable.",
            HelpName = "KEY=URL",
            AllowMultipleArgumentsPerToken = false,
        };
        witness.Validators.Add(result =>
        {
            foreach (var text in result.GetValueOrDefault<string[]>() ?? [])
            {
                try
                {
                    WitnessEndpoint.Parse(text);
                }
                catch (FormatException ex)
                {
                    result.AddError($"{WitnessOption}: {ex.Message}");
                }
            }
        });
        return witness;
    }

    private static Option<int?> Policy()
    {
        var policy = new Option<int?>(PolicyOption)
        {
            Description = "How many witnesses must cosign a heads checkpoint for the log to count as witnessed. Default: every --witness.",
            HelpName = "K",
        };
        policy.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } k && k < 1)
            {
                result.AddError($"{PolicyOption}: must be at least 1");
            }
        });
        return policy;
    }

    private static Option<int?> AlertAfter()
    {
        var after = new Option<int?>(AlertAfterOption)
        {
            Description = "How long, in seconds, a heads checkpoint may wait for the policy's cosignatures before the log counts as behind (an error logged, a witnessing.behind event in the platform log, /healthz/ready degraded, witness_witnessing_behind 1). Default 600.",
            HelpName = "SECONDS",
        };
        after.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } seconds && seconds < 1)
            {
                result.AddError($"{AlertAfterOption}: must be at least 1 second");
            }
        });
        return after;
    }

    public static IEnumerable<Option> Create() => [Origin(), Witnesses(), Policy(), AlertAfter()];

    public static void Apply(ParseResult parse, WitnessServerOptions options)
    {
        options.Origin = parse.GetValue<string>(OriginOption) ?? options.Origin;
        foreach (var text in parse.GetValue<string[]>(WitnessOption) ?? [])
        {
            options.Witnessing.Witnesses.Add(WitnessEndpoint.Parse(text));
        }

        options.Witnessing.Policy = parse.GetValue<int?>(PolicyOption) ?? 0;
        if (parse.GetValue<int?>(AlertAfterOption) is { } seconds)
        {
            options.Witnessing.AlertAfter = TimeSpan.FromSeconds(seconds);
        }
    }

    private const string WitnessOption = "--witness";
    private const string PolicyOption = "--witness-policy";
    private const string AlertAfterOption = "--witness-alert-after";
}
