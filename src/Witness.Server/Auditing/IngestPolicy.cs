using Witness.Catalog;
using Witness.Events;

namespace Witness.Server.Auditing;

/// <summary>
/// What a tenant's catalog and settings do to submitted events before they are appended: strict
/// mode rejects actions the catalog does not know (naming the field), and known actions get their
/// category, log type and rendered description when the event left them out.
/// </summary>
public sealed class IngestPolicy(ActionCatalog catalog, TenantSettingsCache settings)
{
    /// <exception cref="EventValidationException">An action is unknown to a tenant in strict mode.</exception>
    public async ValueTask<IReadOnlyList<SubmittedEvent>> ApplyAsync(IReadOnlyList<SubmittedEvent> events, bool batch, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var applied = new List<SubmittedEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var submitted = events[i];
            var e = submitted.Event;
            if (e.Tenant == Tenants.PlatformLog.Tenant)
            {
                errors.Add(new ValidationError(batch ? $"events[{i}].tenant" : "tenant", $"'{e.Tenant}' is reserved for Witness's platform log"));
                continue;
            }

            if (catalog.Find(e.Tenant, e.Action) is null && (await settings.GetAsync(e.Tenant, ct)).StrictMode)
            {
                errors.Add(new ValidationError(batch ? $"events[{i}].action" : "action",
                    $"unknown action '{e.Action}': tenant '{e.Tenant}' is in strict mode and its catalog has no such action"));
                continue;
            }

            var completed = catalog.Apply(e.Tenant, e, submitted.TypeGiven);
            applied.Add(ReferenceEquals(completed, e) ? submitted : submitted with { Event = completed });
        }

        return errors.Count > 0 ? throw new EventValidationException(errors) : applied;
    }
}
