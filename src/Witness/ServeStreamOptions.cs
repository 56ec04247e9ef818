using System.CommandLine;
using System.CommandLine.Parsing;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Witness.Server;
using Witness.Server.Streams;

namespace Witness.Cli;

/// <summary>
/// The options of <c>serve</c> for log stream delivery (docs/streams.md): one per <see cref="StreamOptions"/> value, each
/// defaulting to its default. A value outside the option's range (the <c>[Range]</c> of the <see cref="StreamOptions"/>
/// property, also checked when the server starts) is a usage error naming the flag. Durations are written
/// <c>250ms</c>, <c>5s</c>, <c>10m</c>, <c>1h</c> or <c>1d</c>.
/// </summary>
internal static class ServeStreamOptions
{
    private static readonly (string Flag, string Property, string HelpName, string Description)[] Flags =
    [
        ("--stream-batch-size", nameof(StreamOptions.BatchSize), "N", "Most events a log stream reads and sends in one batch"),
        ("--stream-poll-interval", nameof(StreamOptions.PollInterval), "DURATION",
            "How often streams to take (new, resumed, left by a stopped instance) and new events are looked for"),
        ("--stream-lease", nameof(StreamOptions.LeaseDuration), "DURATION",
            "How long an instance's lease on a stream lasts (renewed at a third of it); another instance takes over a dead one's streams within this plus the poll interval. Longer than --stream-poll-interval"),
        ("--stream-retry-delay", nameof(StreamOptions.RetryDelay), "DURATION", "The first pause after a failed delivery; each next one doubles, with jitter"),
        ("--stream-max-retry-delay", nameof(StreamOptions.MaxRetryDelay), "DURATION", "The longest pause between two attempts while a destination is down; at least --stream-retry-delay"),
        ("--stream-failure-threshold", nameof(StreamOptions.FailureThreshold), "DURATION",
            "A destination failing this long is recorded once as an integration_failure event in the tenant's log"),
        ("--stream-syslog-confirm-after", nameof(StreamOptions.SyslogConfirmAfter), "DURATION",
            "A syslog batch counts as delivered once its connection is still open this long after the write"),
        ("--stream-timeout", nameof(StreamOptions.Timeout), "DURATION", "How long one connection attempt or HTTP request of a stream may take"),
    ];

    private const string InstanceIdOption = "--stream-instance-id";

    public static IEnumerable<Option> Create()
    {
        var defaults = new StreamOptions();
        foreach (var (flag, property, helpName, description) in Flags)
        {
            var info = typeof(StreamOptions).GetProperty(property)!;
            var range = info.GetCustomAttribute<RangeAttribute>()!;
            if (info.PropertyType == typeof(int))
            {
                var option = new Option<int?>(flag)
                {
                    Description = $"{description}. {Format(range.Minimum)} to {Format(range.Maximum)}; default {info.GetValue(defaults)}.",
                    HelpName = helpName,
                };
                option.Validators.Add(result =>
                {
                    if (result.GetValueOrDefault<int?>() is { } value && (value < (int)range.Minimum || value > (int)range.Maximum))
                    {
                        result.AddError($"{flag}: {value} is out of range: {Format(range.Minimum)} to {Format(range.Maximum)}");
                    }
                });
                yield return option;
            }
            else
            {
                var option = new Option<TimeSpan?>(flag)
                {
                    Description = $"{description}. {Format(range.Minimum)} to {Format(range.Maximum)}; default {Format((TimeSpan)info.GetValue(defaults)!)}.",
                    HelpName = helpName,
                    CustomParser = result => ParseDuration(flag, range, result),
                };
                yield return option;
            }
        }

        yield return new Option<string?>(InstanceIdOption)
        {
            Description = "This instance's name in stream leases (shown as a stream's instance). Default: host name, process id and a random suffix.",
            HelpName = "NAME",
        };
    }

    public static void Apply(ParseResult parse, WitnessServerOptions options)
    {
        var streams = options.Streams;
        foreach (var (flag, property, _, _) in Flags)
        {
            var info = typeof(StreamOptions).GetProperty(property)!;
            object? value = info.PropertyType == typeof(int) ? parse.GetValue<int?>(flag) : parse.GetValue<TimeSpan?>(flag);
            if (value is not null)
            {
                info.SetValue(streams, value);
            }
        }

        streams.InstanceId = parse.GetValue<string?>(InstanceIdOption) ?? streams.InstanceId;
    }

    /// <summary>A duration as <c>NUMBER UNIT</c>, the unit one of ms, s, m, h, d (e.g. <c>250ms</c>, <c>1.5s</c>, <c>10m</c>).</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var units = new (string Suffix, double Milliseconds)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000) };
        foreach (var (suffix, milliseconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                && double.IsFinite(number) && number * milliseconds < TimeSpan.MaxValue.TotalMilliseconds)
            {
                duration = TimeSpan.FromMilliseconds(number * milliseconds);
                return true;
            }
        }

        return false;
    }

    /// <summary>The duration a flag was given, or null with the error added: not a duration, or outside <paramref name="range"/>.</summary>
    private static TimeSpan? ParseDuration(string flag, RangeAttribute range, ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!TryParseDuration(text, out var duration))
        {
            result.AddError($"{flag}: '{text}' is not a duration: a number and one of ms, s, m, h, d (such as 250ms, 5s, 10m)");
            return null;
        }

        if (duration < Bound(range.Minimum) || duration > Bound(range.Maximum))
        {
            result.AddError($"{flag}: {Format(duration)} is out of range: {Format(range.Minimum)} to {Format(range.Maximum)}");
            return null;
        }

        return duration;
    }

    private static TimeSpan Bound(object bound) => TimeSpan.Parse((string)bound, CultureInfo.InvariantCulture);

    private static string Format(object bound) => bound switch
    {
        TimeSpan t => Format(t),
        string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t) => Format(t),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => bound.ToString() ?? "",
    };

    /// <summary>A duration in the largest unit that writes it whole (<c>250ms</c>, <c>5s</c>, <c>10m</c>), as the flags take it.</summary>
    private static string Format(TimeSpan t) =>
        t.TotalMilliseconds % 86_400_000 == 0 ? $"{t.TotalDays:0}d"
        : t.TotalMilliseconds % 3_600_000 == 0 ? $"{t.TotalHours:0}h"
        : t.TotalMilliseconds % 60_000 == 0 ? $"{t.TotalMinutes:0}m"
        : t.TotalMilliseconds % 1000 == 0 ? $"{t.TotalSeconds:0}s"
        : $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
}
