using System.Threading.Channels;
using Witness.Events;
using Witness.Storage;

namespace Witness.Ingest;

/// <summary>
/// Group commit: requests that arrive while a commit is running wait together and are written by
/// the next one, in one transaction and one fsync. Nothing is delayed on purpose; under load the
/// groups grow by themselves. A store shared with other writers (<see cref="ISharedLogStore"/>) also
/// takes into a group the requests that arrive while it waits for a tenant's head. Groups take the
/// waiting tenants' requests in turn, so one tenant's flood cannot starve another's writes. A
/// request's task completes only after its commit is durable. The queue is bounded
/// (<see cref="IngestOptions.MaxQueuedEvents"/>): a client's request that would pass the bound is
/// refused by <see cref="TryAppend"/> rather than held in memory.
/// </summary>
public sealed class EventIngestor : IAsyncDisposable
{
    private readonly IWitnessStore _store;
    private readonly TimeProvider _clock;
    private readonly int _maxEventsPerCommit;
    private readonly int _maxQueuedEvents;
    private int _queuedEvents;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <param name="store">Where events are appended.</param>
    /// <param name="clock">The source of <c>received_at</c>.</param>
    /// <param name="maxEventsPerCommit">An upper bound on one group's size, so one commit cannot grow without limit.</param>
    public EventIngestor(IWitnessStore store, TimeProvider clock, int maxEventsPerCommit = 10_000)
        : this(store, clock, new IngestOptions { MaxEventsPerCommit = maxEventsPerCommit })
    {
    }

    /// <param name="store">Where events are appended.</param>
    /// <param name="clock">The source of <c>received_at</c>.</param>
    /// <param name="options">The group and queue bounds (validated by the host at start).</param>
    public EventIngestor(IWitnessStore store, TimeProvider clock, IngestOptions options)
    {
        _store = store;
        _clock = clock;
        _maxEventsPerCommit = options.MaxEventsPerCommit;
        _maxQueuedEvents = options.MaxQueuedEvents;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The bound of <see cref="TryAppend"/>: the most events waiting to be committed.</summary>
    public int MaxQueuedEvents => _maxQueuedEvents;

    /// <summary>The events waiting to be committed now: queued, or in the commit running.</summary>
    public int QueuedEvents => Volatile.Read(ref _queuedEvents);

    /// <summary>Raised after each durable commit with the tenants it appended to and their new sizes.</summary>
    public event Action<IReadOnlyDictionary<string, long>>? Committed;

    /// <summary>
    /// Appends one request (all-or-nothing) and completes once it is durable, whatever the queue holds:
    /// for Witness's own events and for callers that wait for each request before sending the next.
    /// Throws when the store fails; the request is then not stored.
    /// </summary>
    public Task<AppendResult> AppendAsync(IReadOnlyList<SubmittedEvent> events, CancellationToken ct = default) =>
        Enqueue(events, ct);

    /// <summary>
    /// Queues one request unless the events waiting to be committed would then pass
    /// <see cref="IngestOptions.MaxQueuedEvents"/> (a request at an empty queue is always taken).
    /// Returns false, queueing nothing, when it is full; else <paramref name="appended"/> completes as
    /// <see cref="AppendAsync"/> does.
    /// </summary>
    public bool TryAppend(IReadOnlyList<SubmittedEvent> events, CancellationToken ct, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Task<AppendResult>? appended)
    {
        var queued = QueuedEvents;
        if (queued > 0 && queued + events.Count > _maxQueuedEvents)
        {
            appended = null;
            return false;
        }

        appended = Enqueue(events, ct);
        return true;
    }

    private Task<AppendResult> Enqueue(IReadOnlyList<SubmittedEvent> events, CancellationToken ct)
    {
        // Canonical bytes and index keys are prepared here, on the caller's thread, so the one writer only splices and hashes.
        var pending = new Pending([.. events.Select(e => e.Prepare())], new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Add(ref _queuedEvents, events.Count);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedEvents, -events.Count);
            throw new ObjectDisposedException(nameof(EventIngestor));
        }

        IngestMetrics.Waiting(events.Count);
        _ = pending.Completion.Task.ContinueWith(static (_, state) =>
            {
                var (ingestor, n) = ((EventIngestor, int))state!;
                Interlocked.Add(ref ingestor._queuedEvents, -n);
                IngestMetrics.Waiting(-n);
            }, (this, events.Count), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // A caller that gives up still leaves the request in the group: it may already be committed.
        return pending.Completion.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var group = new List<Pending>();
        var count = 0;

        // Requests taken off the channel and not yet in a group, one line per tenant, served in turn.
        var waiting = new TenantTurns();
        while (waiting.Count > 0 || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var queued))
            {
                waiting.Add(queued);
            }

            group.Clear();
            count = 0;
            while (count < _maxEventsPerCommit && waiting.TryTake(out var next))
            {
                group.Add(next);
                count += next.Events.Count;
            }

            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var requests = group.Select(p => p.Events).ToList();
                var results = _store is ISharedLogStore shared
                    ? await shared.AppendAsync(requests, TakeLate, _clock, CancellationToken.None).ConfigureAwait(false)
                    : await _store.AppendAsync(requests, _clock.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Completion.TrySetResult(results[i]);
                }

                IngestMetrics.Committed(requests.Sum(r => r.Count), results.Sum(r => r.Events.Count(e => !e.Replayed)), System.Diagnostics.Stopwatch.GetElapsedTime(started));
                Committed?.Invoke(SizesOf(results));
            }
            catch (Exception ex)
            {
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }

        // The requests queued since the group was formed whose tenants the store holds join the group
        // (up to its size bound); the rest wait for the next group, each in its tenant's order.
        IReadOnlyList<IReadOnlyList<SubmittedEvent>> TakeLate(Func<string, bool> held)
        {
            while (reader.TryRead(out var queued))
            {
                waiting.Add(queued);
            }

            var taken = new List<IReadOnlyList<SubmittedEvent>>();
            waiting.TakeWhile(pending =>
            {
                if (count + pending.Events.Count > _maxEventsPerCommit || !pending.Events.All(e => held(e.Event.Tenant)))
                {
                    return false;
                }

                group.Add(pending);
                taken.Add(pending.Events);
                count += pending.Events.Count;
                return true;
            });
            return taken;
        }
    }

    private static Dictionary<string, long> SizesOf(IReadOnlyList<AppendResult> results)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            foreach (var e in result.Events)
            {
                sizes[e.Tenant] = Math.Max(sizes.GetValueOrDefault(e.Tenant), e.Seq);
            }
        }

        return sizes;
    }

    /// <summary>Stops taking requests and waits until every queued request is committed or failed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed record Pending(IReadOnlyList<SubmittedEvent> Events, TaskCompletionSource<AppendResult> Completion)
    {
        public string Tenant => Events.Count > 0 ? Events[0].Event.Tenant : "";
    }

    /// <summary>
    /// Waiting requests in one line per tenant, taken round-robin: a group holds one request of each
    /// waiting tenant before a second of any, so a tenant that floods cannot push another's writes
    /// behind its backlog. Within a tenant, requests keep their order.
    /// </summary>
    private sealed class TenantTurns
    {
        private readonly Dictionary<string, Queue<Pending>> _lines = new(StringComparer.Ordinal);
        private readonly Queue<string> _turns = new();

        public int Count { get; private set; }

        public void Add(Pending pending)
        {
            if (!_lines.TryGetValue(pending.Tenant, out var line))
            {
                line = new Queue<Pending>();
                _lines[pending.Tenant] = line;
                _turns.Enqueue(pending.Tenant);
            }

            line.Enqueue(pending);
            Count++;
        }

        public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Pending? pending)
        {
            if (!_turns.TryDequeue(out var tenant))
            {
                pending = null;
                return false;
            }

            var line = _lines[tenant];
            pending = line.Dequeue();
            Count--;
            if (line.Count > 0)
            {
                _turns.Enqueue(tenant);
            }
            else
            {
                _lines.Remove(tenant);
            }

            return true;
        }

        /// <summary>Takes, tenant by tenant in turn order, the requests at the head of each line that <paramref name="take"/> accepts (it stops a line at the first it refuses).</summary>
        public void TakeWhile(Func<Pending, bool> take)
        {
            var rounds = _turns.Count;
            for (var i = 0; i < rounds; i++)
            {
                var tenant = _turns.Dequeue();
                var line = _lines[tenant];
                while (line.Count > 0 && take(line.Peek()))
                {
                    line.Dequeue();
                    Count--;
                }

                if (line.Count > 0)
                {
                    _turns.Enqueue(tenant);
                }
                else
                {
                    _lines.Remove(tenant);
                }
            }
        }
    }
}
