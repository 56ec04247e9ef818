using Witness.Events;
using Witness.Stats;

namespace Witness.Export.Pdf;

/// <summary>
/// The counts on the report's first page, tallied from the very events the report's table lists (so
/// they always agree with it): by type and outcome, per bar of the period in the tenant's zone, by
/// actor and action, and the actions that failed.
/// </summary>
internal sealed class ReportSummary
{
    private readonly Dictionary<string, (long Events, long Failures)> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _actors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _actions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failedActions = new(StringComparer.Ordinal);
    private readonly List<(DateTimeOffset At, bool Failed)> _times = [];

    public long Events { get; private set; }

    public long Failures { get; private set; }

    public void Add(AuditEvent e)
    {
        var failed = e.Outcome == Outcomes.Failure;
        Events++;
        Failures += failed ? 1 : 0;
        var type = _types.GetValueOrDefault(e.Type);
        _types[e.Type] = (type.Events + 1, type.Failures + (failed ? 1 : 0));
        var actor = e.Actor.Type == ActorTypes.System ? "System" : e.Actor.Email is { } email && email != e.Actor.DisplayName ? $"{e.Actor.DisplayName} <{email}>" : e.Actor.DisplayName;
        _actors[actor] = _actors.GetValueOrDefault(actor) + 1;
        _actions[e.Action] = _actions.GetValueOrDefault(e.Action) + 1;
        if (failed)
        {
            _failedActions[e.Action] = _failedActions.GetValueOrDefault(e.Action) + 1;
        }

        _times.Add((e.OccurredAt, failed));
    }

    /// <summary>Types with their successes and failures, most events first.</summary>
    public IEnumerable<(string Type, long Events, long Failures)> Types =>
        _types.OrderByDescending(t => t.Value.Events).ThenBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value.Events, t.Value.Failures));

    public IEnumerable<(string Value, long Count)> TopActors(int n) => Top(_actors, n);

    public IEnumerable<(string Value, long Count)> TopActions(int n) => Top(_actions, n);

    public IEnumerable<(string Value, long Count)> TopFailures(int n) => Top(_failedActions, n);

    /// <summary>
    /// The bars of the histogram over [<paramref name="from"/>, <paramref name="to"/>) in <paramref name="zone"/>,
    /// widened to the events' own times when some lie outside (an export without a time filter).
    /// </summary>
    public (StatsBucket Bucket, IReadOnlyList<ActivityBar> Bars) Histogram(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        if (_times.Count > 0)
        {
            from = new[] { from, _times.Min(t => t.At) }.Min();
            to = new[] { to, _times.Max(t => t.At).AddTicks(10) }.Max();
        }

        var bucket = ActivityBuckets.Choose(from, to);
        var cover = ActivityBuckets.Cover(from, to, zone, bucket);
        var events = new long[cover.Count];
        var failures = new long[cover.Count];
        foreach (var (at, failed) in _times)
        {
            var i = BarOf(cover, at);
            events[i]++;
            failures[i] += failed ? 1 : 0;
        }

        return (bucket, [.. cover.Select((c, i) => new ActivityBar(c.Start, c.End, events[i], failures[i]))]);
    }

    private static int BarOf(IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> cover, DateTimeOffset at)
    {
        int low = 0, high = cover.Count - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (cover[mid].Start <= at)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    private static IEnumerable<(string Value, long Count)> Top(Dictionary<string, long> counts, int n) =>
        counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(n).Select(c => (c.Key, c.Value));
}
