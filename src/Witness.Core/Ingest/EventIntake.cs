using Witness.Catalog;
using Witness.Events;
using Witness.Storage;

namespace Witness.Ingest;

/// <summary>
/// The one way an event enters a log, whatever sends it: the API (<c>POST /v1/events</c>), an import
/// (<c>witness import</c>, into the data folder or through the API), the demo data and Witness's own
/// events. After parsing, the tenant's catalog and settings apply (the reserved platform tenant is
/// refused to clients, strict mode refuses unknown actions, known actions get their category, log type,
/// rendered description and the paths their catalog entry marks personal), and the <see cref="EventIngestor"/> appends them in a group commit. So an
/// event is stored byte for byte alike whichever way it came.
/// </summary>
public sealed class EventIntake(EventIngestor ingestor, ActionCatalog catalog, ITenantSettingsSource settings, TimeProvider clock)
{
    /// <summary>The tenant of Witness's platform log: only Witness itself appends to it.</summary>
    public const string PlatformTenant = "_platform";

    /// <summary>The ingestor the events go to.</summary>
    public EventIngestor Ingestor => ingestor;

    /// <summary>
    /// The events as they would be appended: the catalog and the tenant's strict mode applied. Errors
    /// name the field as the request spells it (<c>events[i].action</c> in a batch, <c>action</c> alone).
    /// </summary>
    /// <exception cref="EventValidationException">An event is sent to the platform tenant, or names an action unknown to a tenant in strict mode; nothing is appended.</exception>
    public async ValueTask<IReadOnlyList<SubmittedEvent>> ApplyAsync(IReadOnlyList<SubmittedEvent> events, bool batch, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var applied = new List<SubmittedEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var submitted = events[i];
            var e = submitted.Event;
            if (e.Tenant == PlatformTenant)
            {
                errors.Add(new ValidationError(batch ? $"events[{i}].tenant" : "tenant", $"'{e.Tenant}' is reserved for Witness's platform log"));
                continue;
            }

            if (catalog.Find(e.Tenant, e.Action) is null && (await settings.GetAsync(e.Tenant, ct).ConfigureAwait(false)).StrictMode)
            {
                errors.Add(new ValidationError(batch ? $"events[{i}].action" : "action",
                    $"unknown action '{e.Action}': tenant '{e.Tenant}' is in strict mode and its catalog has no such action"));
                continue;
            }

            var completed = catalog.Apply(e.Tenant, e, submitted.TypeGiven);
            var marked = catalog.FindPersonalPaths(e.Tenant, e.Action, rendered: e.Description is null && completed.Description is not null);
            applied.Add(ReferenceEquals(completed, e) && marked is null ? submitted : submitted with { Event = completed, MarkedPaths = marked });
        }

        return errors.Count > 0 ? throw new EventValidationException(errors) : applied;
    }

    /// <summary>Applies the catalog and settings (<see cref="ApplyAsync"/>) and appends the request; completes once it is durable.</summary>
    /// <exception cref="EventValidationException">As <see cref="ApplyAsync"/>; nothing is appended.</exception>
    public async Task<AppendResult> SubmitAsync(IReadOnlyList<SubmittedEvent> events, bool batch, CancellationToken ct) =>
        await ingestor.AppendAsync(await ApplyAsync(events, batch, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="SubmitAsync"/> for a client that may be told to come back: null, appending
    /// nothing, when the ingest queue is full (<see cref="EventIngestor.TryAppend"/>).
    /// </summary>
    /// <exception cref="EventValidationException">As <see cref="ApplyAsync"/>; nothing is appended.</exception>
    public async Task<AppendResult?> TrySubmitAsync(IReadOnlyList<SubmittedEvent> events, bool batch, CancellationToken ct)
    {
        var applied = await ApplyAsync(events, batch, ct).ConfigureAwait(false);
        return ingestor.TryAppend(applied, ct, out var appending) ? await appending.ConfigureAwait(false) : null;
    }

    /// <summary>
    /// Appends events Witness records by itself (its own work, the demo data) in one request: an empty
    /// id or time is filled in, then the catalog completes them (no strict mode: Witness's actions are
    /// built in). With <paramref name="idempotent"/> the ids are client ids, so recording the same
    /// events again stores them once.
    /// </summary>
    public Task<AppendResult> RecordAsync(IReadOnlyList<AuditEvent> events, bool idempotent, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var submitted = new List<SubmittedEvent>(events.Count);
        foreach (var e in events)
        {
            var completed = catalog.Apply(e.Tenant, e with
            {
                Id = e.Id.Length == 0 ? EventParser.NewId(now) : e.Id,
                OccurredAt = e.OccurredAt == default ? EventParser.Truncate(now) : EventParser.Truncate(e.OccurredAt),
            }, typeWasGiven: true);
            var marked = catalog.FindPersonalPaths(e.Tenant, e.Action, rendered: e.Description is null && completed.Description is not null);
            submitted.Add(new SubmittedEvent(completed, CanonicalEvent.ContentDigest(completed), ClientChoseId: idempotent) { MarkedPaths = marked });
        }

        return ingestor.AppendAsync(submitted, ct);
    }
}
