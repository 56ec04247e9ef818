namespace Witness.Alerts;

/// <summary>
/// The counting of a threshold rule: per group (an actor or an IP), the <c>occurred_at</c> times of
/// matching events within the window. <see cref="Add"/> says when a group reaches the threshold;
/// that group then starts counting again from zero, so a burst of 2N events fires twice, not N + 1
/// times. Groups are forgotten once nothing was added to them for a window of receipt time, so
/// memory follows the active groups, and an event dated far ahead cannot wipe the others' counts.
/// Not thread-safe.
/// </summary>
public sealed class ThresholdWindow(int threshold, TimeSpan window)
{
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;

    /// <summary>
    /// Counts an event of <paramref name="group"/> that occurred at <paramref name="occurredAt"/> and
    /// was received at <paramref name="receivedAt"/>; true when the group now holds <c>threshold</c>
    /// events that occurred within one window ending at <paramref name="occurredAt"/>.
    /// </summary>
    public bool Add(string group, DateTimeOffset occurredAt, DateTimeOffset receivedAt)
    {
        if (!_groups.TryGetValue(group, out var times))
        {
            times = new Group();
            _groups[group] = times;
        }

        times.LastReceived = receivedAt;
        times.Occurred.Add(occurredAt);
        times.Occurred.RemoveAll(t => t <= occurredAt - window && t < occurredAt);
        var inWindow = times.Occurred.Count(t => t > occurredAt - window && t <= occurredAt);
        if (receivedAt - _pruned >= window)
        {
            // Dropping idle groups costs a pass over all of them, so it runs once per window of time.
            _pruned = receivedAt;
            foreach (var idle in _groups.Where(g => g.Value.LastReceived <= receivedAt - window).Select(g => g.Key).ToList())
            {
                _groups.Remove(idle);
            }
        }

        if (inWindow < threshold)
        {
            return false;
        }

        _groups.Remove(group);
        return true;
    }

    /// <summary>How many groups are being counted.</summary>
    public int Groups => _groups.Count;

    private sealed class Group
    {
        public List<DateTimeOffset> Occurred { get; } = [];
        public DateTimeOffset LastReceived { get; set; }
    }
}
