namespace Witness.Alerts;

/// <summary>
/// One alert rule of a tenant. <see cref="Query"/> is in the search language (SPEC §5); an empty
/// query matches every event. Which other fields matter depends on <see cref="Kind"/>:
/// <see cref="AlertKinds.Threshold"/> uses <see cref="Threshold"/>, <see cref="WindowMinutes"/> and
/// <see cref="GroupBy"/>; <see cref="AlertKinds.FirstSeen"/> uses <see cref="Dimension"/>;
/// <see cref="AlertKinds.Match"/> only the query.
/// </summary>
public sealed record AlertRule
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required string Name { get; init; }

    /// <summary>One of <see cref="AlertKinds"/>.</summary>
    public required string Kind { get; init; }

    public string Query { get; init; } = "";

    /// <summary>For a threshold: how many matching events within the window fire the rule (2–100,000).</summary>
    public int? Threshold { get; init; }

    /// <summary>For a threshold: the window in minutes (1–10,080), on the events' <c>occurred_at</c>.</summary>
    public int? WindowMinutes { get; init; }

    /// <summary>For a threshold: <see cref="AlertGroups.Actor"/> or <see cref="AlertGroups.Ip"/>.</summary>
    public string? GroupBy { get; init; }

    /// <summary>For a first-seen rule: <see cref="AlertGroups.Ip"/> or <see cref="AlertGroups.Country"/>.</summary>
    public string? Dimension { get; init; }

    public bool Enabled { get; init; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The three kinds of alert rule.</summary>
public static class AlertKinds
{
    /// <summary>N events matching the query within W minutes, counted per actor or per IP.</summary>
    public const string Threshold = "threshold";

    /// <summary>An actor seen from an IP or country it was never seen from before.</summary>
    public const string FirstSeen = "first_seen";

    /// <summary>Any event matching the query.</summary>
    public const string Match = "match";

    public static IReadOnlyList<string> All { get; } = [Threshold, FirstSeen, Match];
}

/// <summary>What a threshold counts per, and what a first-seen rule watches.</summary>
public static class AlertGroups
{
    public const string Actor = "actor";
    public const string Ip = "ip";
    public const string Country = "country";
}
