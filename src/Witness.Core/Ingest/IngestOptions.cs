using System.ComponentModel.DataAnnotations;

namespace Witness.Ingest;

/// <summary>How the group-commit ingestor (<see cref="EventIngestor"/>) sizes its groups and its queue. Validated at start; every default suits a small install.</summary>
public sealed class IngestOptions
{
    /// <summary>The most events one group commit writes, so one transaction cannot grow without limit. 1 to 1,000,000; default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxEventsPerCommit { get; set; } = 10_000;

    /// <summary>
    /// The most events waiting to be committed (queued or in the commit running). A client request that
    /// would go past it is refused (<see cref="EventIngestor.TryAppend"/>; the API answers 503 with
    /// <c>Retry-After</c>) instead of holding more memory; a request arriving at an empty queue is
    /// always taken, however large. 1 to 10,000,000; default 100,000 (about ten seconds of writes).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxQueuedEvents { get; set; } = 100_000;
}
