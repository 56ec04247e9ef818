using System.Text.Json;
using Witness.Events;
using Witness.Ingest;
using Witness.Storage;

namespace Witness.Server.Tenants;

/// <summary>
/// The log of what operators do to the platform as a whole (a tenant deleted), kept as the reserved
/// tenant <see cref="Tenant"/>: a log like any other, verified, checkpointed and exported the same way,
/// that clients cannot send events to.
/// </summary>
internal static class PlatformLog
{
    /// <summary>The reserved tenant of platform events; events sent to it are refused (<see cref="EventIntake.ApplyAsync"/>).</summary>
    public const string Tenant = EventIntake.PlatformTenant;

    public const string TenantDeleteAction = "tenant.delete";

    /// <summary>Appends the record of a deleted tenant (who deleted it and what it held) through the one ingest path.</summary>
    public static async Task RecordTenantDeletedAsync(EventIntake intake, TimeProvider clock, string tenant, TenantDeletion removed, EventActor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var e = new AuditEvent
        {
            Id = EventParser.NewId(now),
            Tenant = Tenant,
            OccurredAt = EventParser.Truncate(now),
            Type = LogTypes.Activity,
            Action = TenantDeleteAction,
            Category = "Tenants",
            Actor = actor,
            Targets = [new EventTarget { Type = "tenant", Id = tenant, Name = tenant }],
            Outcome = Outcomes.Success,
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, long>
            {
                ["events"] = removed.Events,
                ["api_keys"] = removed.ApiKeys,
                ["users"] = removed.Users,
            }),
            Description = $"Deleted tenant {tenant} with its {removed.Events} events, {removed.ApiKeys} API keys and {removed.Users} console users",
        };
        await intake.RecordAsync([e], idempotent: false, ct);
    }
}
