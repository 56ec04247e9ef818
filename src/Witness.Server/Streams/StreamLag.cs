namespace Witness.Server.Streams;

/// <summary>
/// How far one running stream is behind its tenant's log, as this instance sees it, for the metrics
/// (<see cref="Telemetry.StreamMetrics"/>): the head (from each commit and each read), the delivered seq, and
/// when the oldest undelivered event was received. The worker reports what it reads and what is confirmed; the
/// metrics read <see cref="Snapshot"/> at each collection. The API's status reads the same from the store.
/// </summary>
internal sealed class StreamLag(string tenant, string streamId, string kind, long delivered, TimeProvider clock)
{
    private readonly Lock _lock = new();

    /// <summary>Events read and sent but not yet confirmed, oldest first: (seq, received at).</summary>
    private readonly Queue<(long Seq, DateTimeOffset ReceivedAt)> _pending = new();
    private long _head = delivered;
    private long _delivered = delivered;
    private long _lastRead = delivered;
    private DateTimeOffset? _unreadSince;

    public string Tenant => tenant;
    public string StreamId => streamId;
    public string Kind => kind;

    /// <summary>The tenant's log is at least <paramref name="size"/> events long (a commit, or a read reaching it).</summary>
    public void Grew(long size)
    {
        lock (_lock)
        {
            if (size > _head)
            {
                _head = size;
            }

            if (_head > _lastRead)
            {
                _unreadSince ??= clock.GetUtcNow();
            }
        }
    }

    /// <summary>The worker read these events after its position (and sent those its filters let through).</summary>
    public void Read(IReadOnlyList<Storage.StoredEvent> events)
    {
        lock (_lock)
        {
            foreach (var e in events)
            {
                // After a failure the worker reads again from the cursor: those events are already waiting here.
                if (e.Seq > _lastRead)
                {
                    _pending.Enqueue((e.Seq, e.Event.ReceivedAt));
                    _lastRead = e.Seq;
                }
            }

            _head = Math.Max(_head, _lastRead);
            if (_lastRead >= _head)
            {
                _unreadSince = null;
            }
        }
    }

    /// <summary>Everything through <paramref name="seq"/> is delivered; answers how many events the cursor moved past.</summary>
    public long Confirmed(long seq)
    {
        lock (_lock)
        {
            if (seq <= _delivered)
            {
                return 0;
            }

            var moved = seq - _delivered;
            _delivered = seq;
            while (_pending.Count > 0 && _pending.Peek().Seq <= seq)
            {
                _pending.Dequeue();
            }

            _lastRead = Math.Max(_lastRead, seq);
            _head = Math.Max(_head, seq);
            return moved;
        }
    }

    /// <summary>Events behind the head, and seconds since the oldest of them was received (0 when none).</summary>
    public (long Events, double Seconds) Snapshot()
    {
        lock (_lock)
        {
            var events = Math.Max(0, _head - _delivered);
            if (events == 0)
            {
                return (0, 0);
            }

            DateTimeOffset? oldest = _pending.Count > 0 ? _pending.Peek().ReceivedAt : _unreadSince;
            return (events, oldest is { } at ? Math.Max(0, (clock.GetUtcNow() - at).TotalSeconds) : 0);
        }
    }
}
