namespace Witness.Client;

/// <summary>
/// Records audit events from the request path. <see cref="Record"/> returns at once: it never waits for Witness,
/// never throws, and holds at most <see cref="WitnessClientOptions.QueueCapacity"/> events in memory. A background
/// service sends them in batches, spools what Witness cannot take yet (see <see cref="DeliveryMode"/>) and
/// flushes when the host stops. Each event gets an id when recorded, so redelivery never stores it twice.
/// </summary>
public interface IAuditLog
{
    /// <summary>
    /// Queues <paramref name="auditEvent"/>, filling in its id, occurred_at and tenant, and its actor and context from
    /// <see cref="IAuditContextAccessor"/> when it has none. The event must not be changed afterwards.
    /// </summary>
    /// <returns>False when the event was dropped (best-effort mode with a full queue, or an unusable event); never throws.</returns>
    bool Record(AuditEvent auditEvent);

    /// <summary>How many events were dropped since start.</summary>
    long Dropped { get; }
}

/// <summary>
/// The actor and request context of the current operation, used for events recorded without them. Witness.AspNetCore
/// provides one that reads the current HTTP request; register your own for other hosts.
/// </summary>
public interface IAuditContextAccessor
{
    /// <summary>Who is acting now, or null for the system.</summary>
    AuditActor? Actor { get; }

    /// <summary>The IP, user agent, request and session ids of the current request, or null outside one.</summary>
    AuditContext? Context { get; }
}
