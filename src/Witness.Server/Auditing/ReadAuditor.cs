using System.Collections.Concurrent;
using System.Text.Json;
using Witness.Events;
using Witness.Ingest;

namespace Witness.Server.Auditing;

/// <summary>
/// Records reading and exporting in the tenant's own log (SPEC §4): <c>audit_log.view</c> at most
/// once per reader per 10 minutes, <c>audit_log.export</c> for every export; through the one ingest path
/// (<see cref="EventIntake.RecordAsync"/>), like Witness's other own events.
/// </summary>
internal sealed class ReadAuditor(EventIntake intake, TimeProvider clock)
{
    public static readonly TimeSpan ViewThrottle = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<(string Tenant, string Reader), DateTimeOffset> _lastView = new();

    /// <summary>Records a view unless this reader's last recorded view of this tenant is under 10 minutes old.</summary>
    public async Task RecordViewAsync(string tenant, EventActor reader, EventContext? context, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = (tenant, $"{reader.Type}:{reader.Id}");
        if (_lastView.TryGetValue(key, out var last) && now - last < ViewThrottle)
        {
            return;
        }

        _lastView[key] = now;
        await RecordAsync(tenant, "audit_log.view", reader, context, null, "Viewed the audit log", ct);
    }

    public Task RecordExportAsync(string tenant, EventActor reader, EventContext? context, IReadOnlyDictionary<string, string> filters, string format, long rows, CancellationToken ct)
    {
        var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["format"] = format,
            ["rows"] = rows,
            ["filters"] = filters,
        });
        return RecordAsync(tenant, "audit_log.export", reader, context, metadata, $"Exported {rows} events as {format.ToUpperInvariant()}", ct);
    }

    private async Task RecordAsync(string tenant, string action, EventActor reader, EventContext? context, JsonElement? metadata, string description, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var e = new AuditEvent
        {
            Id = EventParser.NewId(now),
            Tenant = tenant,
            OccurredAt = EventParser.Truncate(now),
            Type = LogTypes.Access,
            Action = action,
            Category = "Audit log",
            Actor = reader,
            Outcome = Outcomes.Success,
            Context = context,
            Metadata = metadata,
            Description = description,
        };
        await intake.RecordAsync([e], idempotent: false, ct);
    }
}
