using Witness.Events;
using Witness.Ingest;
using Witness.Storage;

namespace Witness.Server.Auditing;

/// <summary>
/// Appends the events Witness records about its own work (purges, legal holds, alerts, failed
/// deliveries) to a tenant's log through the one ingest path (<see cref="EventIntake.RecordAsync"/>),
/// completed from the catalog like any submitted event.
/// </summary>
internal sealed class SystemEvents(EventIntake intake)
{
    /// <summary>The actor of events Witness records by itself.</summary>
    public static EventActor Witness { get; } = new() { Type = ActorTypes.System, Id = "witness", Name = "Witness" };

    /// <summary>
    /// Appends <paramref name="e"/> (its id, time and description filled in when left empty). With
    /// <paramref name="idempotent"/> the event's id is a client id: recording the same event twice
    /// (say, after a restart) stores it once, and the second call answers the stored event as replayed
    /// (or null when the id is taken by another body).
    /// </summary>
    public async Task<AppendedEvent?> RecordAsync(AuditEvent e, bool idempotent, CancellationToken ct)
    {
        var result = await intake.RecordAsync([e], idempotent, ct);
        return result.Conflict is null ? result.Events[0] : null;
    }
}
