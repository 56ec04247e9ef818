namespace Witness.Alerts;

/// <summary>
/// The counting of a threshold rule: per group (an actor or an IP), the times of matching events
/// within the last window. <see cref="Add"/> says when a group reaches the threshold; that group
/// then starts counting again from zero, so a burst of 2N events fires twice, not N + 1 times.
/// Not thread-safe.
/// </summary>
public sealed class ThresholdWindow(int threshold, TimeSpan window)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _groups = new(StringComparer.Ordinal);
    private DateTimeOffset _latest = DateTimeOffset.MinValue;
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;

    /// <summary>
    /// Counts an event of <paramref name="group"/> that occurred at <paramref name="at"/>; true when
    /// the group now holds <c>threshold</c> events within a window ending at <paramref name="at"/>.
    /// </summary>
    public bool Add(string group, DateTimeOffset at)
    {
        if (!_groups.TryGetValue(group, out var times))
        {
            times = new Queue<DateTimeOffset>();
            _groups[group] = times;
        }

        times.Enqueue(at);
        while (times.Count > 0 && times.Peek() <= at - window)
        {
            times.Dequeue();
        }

        // Events may arrive slightly out of order: count the ones inside (at - window, at].
        var inWindow = times.Count(t => t <= at);
        if (at > _latest)
        {
            _latest = at;
            // Dropping expired groups costs a pass over all of them, so it runs once per window of time.
            if (_latest - _pruned >= window)
            {
                _pruned = _latest;
                Prune();
            }
        }

        if (inWindow < threshold)
        {
            return false;
        }

        _groups.Remove(group);
        return true;
    }

    /// <summary>How many groups are being counted (for tests and memory checks).</summary>
    public int Groups => _groups.Count;

    private void Prune()
    {
        List<string>? empty = null;
        foreach (var (group, times) in _groups)
        {
            if (times.All(t => t <= _latest - window))
            {
                (empty ??= []).Add(group);
            }
        }

        foreach (var group in empty ?? [])
        {
            _groups.Remove(group);
        }
    }
}
