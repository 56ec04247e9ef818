using System.Text.Json;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Storage;

namespace Witness.Server.Configuration;

/// <summary>
/// A tenant's settings (retention, legal hold, time zone, strict mode): checks a change, saves it and
/// records it in the tenant's log, placing or releasing a legal hold as an event of its own.
/// <c>/v1/settings</c> and the console's retention page both change settings only through here.
/// </summary>
internal sealed class SettingsService(IWitnessStore store, TenantSettingsCache cache, SystemEvents events)
{
    /// <summary>The settings, as the API spells them.</summary>
    public static readonly string[] Fields = ["retention_days", "time_zone", "strict_mode", "legal_hold", "personal_data_days"];

    public Task<TenantSettings> GetAsync(string tenant, CancellationToken ct) => store.GetSettingsAsync(tenant, ct);

    /// <summary>The settings after the change, or every field that is wrong (nothing changed).</summary>
    public async Task<ChangeResult<TenantSettings>> ChangeAsync(TenantScope scope, SettingsChange change, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        foreach (var field in change.UnknownFields)
        {
            errors.Add(new(field, $"unknown setting; the settings are {string.Join(", ", Fields)}"));
        }

        if (change.WrongType.Contains("retention_days") || change.RetentionDays is < 1 or > 3650)
        {
            errors.Add(new("retention_days", "must be a whole number of days from 1 to 3650"));
        }

        if (change.WrongType.Contains("time_zone") || (change.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(change.TimeZone, out _)))
        {
            errors.Add(new("time_zone", "must be an IANA time zone name such as Europe/Rome or UTC"));
        }

        if ((change.WrongType.Contains("personal_data_days") && !change.KeepPersonalData) || change.PersonalDataDays is < 1 or > 3650)
        {
            errors.Add(new("personal_data_days", "must be a whole number of days from 1 to 3650, or null to keep personal values as long as the events"));
        }

        foreach (var field in new[] { "strict_mode", "legal_hold" }.Where(change.WrongType.Contains))
        {
            errors.Add(new(field, "must be true or false"));
        }

        if (errors.Count > 0)
        {
            return ChangeResult<TenantSettings>.Invalid(errors);
        }

        var tenant = scope.Tenant;
        var before = await store.GetSettingsAsync(tenant, ct);
        var settings = before with
        {
            RetentionDays = change.RetentionDays ?? before.RetentionDays,
            TimeZone = change.TimeZone ?? before.TimeZone,
            StrictMode = change.StrictMode ?? before.StrictMode,
            LegalHold = change.LegalHold ?? before.LegalHold,
            PersonalDataDays = change.KeepPersonalData ? null : change.PersonalDataDays ?? before.PersonalDataDays,
        };
        await cache.SaveAsync(tenant, settings, ct);
        if (settings.LegalHold != before.LegalHold)
        {
            await RecordLegalHoldAsync(scope, settings, ct);
        }

        await ConfigurationChanges.SettingsAsync(events, tenant, before, settings, scope.Actor, scope.Request, ct);
        return ChangeResult<TenantSettings>.Saved(settings);
    }

    /// <summary>Placing and releasing a legal hold are themselves part of the tenant's record.</summary>
    private Task<AppendedEvent?> RecordLegalHoldAsync(TenantScope scope, TenantSettings settings, CancellationToken ct) =>
        events.RecordAsync(new AuditEvent
        {
            Id = "",
            Tenant = scope.Tenant,
            OccurredAt = default,
            Type = LogTypes.Activity,
            Action = settings.LegalHold ? BuiltInActions.LegalHoldSet.Action : BuiltInActions.LegalHoldRelease.Action,
            Actor = scope.Actor,
            Outcome = Outcomes.Success,
            Context = scope.Request,
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["retention_days"] = settings.RetentionDays }),
        }, idempotent: false, ct);
}
