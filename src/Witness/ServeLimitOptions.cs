using System.CommandLine;
using Witness.Server;

namespace Witness.Cli;

/// <summary>The options of <c>serve</c> for limits and the key ring; each defaults to <see cref="WitnessServerOptions"/>'s default.</summary>
internal static class ServeLimitOptions
{
    private static Option<int?> EventsPerSecond() => new("--events-per-second")
    {
        Description = "Events per second one tenant, and one API key, may send; more is answered 429 with Retry-After. 0: no limit. Default 20000.",
        HelpName = "N",
    };

    private static Option<int?> ReadsPerSecond() => new("--reads-per-second")
    {
        Description = "Read requests per second on one tenant, and by one API key or console user. 0: no limit. Default 1000.",
        HelpName = "N",
    };

    private static Option<int?> ConcurrentExports() => new("--concurrent-exports")
    {
        Description = "Exports of one tenant running at once (verifications: half as many, at least 1). 0: no limit. Default 4.",
        HelpName = "N",
    };

    private static Option<string?> KeyRing() => new("--key-ring")
    {
        Description = "The folder of the key ring that encrypts console cookies and stored webhook secrets. Instances on one PostgreSQL database must share it. Default: console-keys beside --signing-key, else in the data folder.",
        HelpName = "DIR",
    };

    public static IEnumerable<Option> Create() => [EventsPerSecond(), ReadsPerSecond(), ConcurrentExports(), KeyRing()];

    public static void Apply(ParseResult parse, WitnessServerOptions options)
    {
        var limits = options.RateLimits;
        if (parse.GetValue<int?>("--events-per-second") is { } events)
        {
            limits.TenantEventsPerSecond = limits.KeyEventsPerSecond = events;
            limits.EventsBurst = Math.Max(Events.EventLimits.MaxBatchEvents, events * 2);
        }

        if (parse.GetValue<int?>("--reads-per-second") is { } reads)
        {
            limits.TenantReadsPerSecond = limits.KeyReadsPerSecond = reads;
            limits.ReadsBurst = Math.Max(1, reads * 2);
        }

        if (parse.GetValue<int?>("--concurrent-exports") is { } exports)
        {
            limits.TenantConcurrentExports = exports;
            limits.TenantConcurrentVerifications = exports == 0 ? 0 : Math.Max(1, exports / 2);
        }

        options.KeyRingDirectory = parse.GetValue<string?>("--key-ring");
    }
}
