using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>A tenant's settings: retention, legal hold, time zone, strict mode.</summary>
public static class SettingsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/settings").WithTags("Settings").WithTenantParameter();
        group.MapGet("", GetAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The tenant's retention days, time zone, strict mode and legal hold.")
            .Produces<SettingsResponse>(200);
        group.MapMethods("", ["PATCH"], PatchAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Change retention_days (1–3650), time_zone (IANA name), strict_mode or legal_hold; fields left out keep their value. Placing or releasing a legal hold is recorded in the log.")
            .Accepts<SettingsChange>("application/json")
            .Produces<SettingsResponse>(200).ProducesProblem(400);
    }

    private static async Task<IResult> GetAsync(HttpContext context, IWitnessStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        return Describe(tenant, await store.GetSettingsAsync(tenant, context.RequestAborted));
    }

    private static async Task<IResult> PatchAsync(HttpContext context, IWitnessStore store, TenantSettingsCache cache, SystemEvents events)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Problems.Invalid("body", $"not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problems.Invalid("body", "expected a JSON object");
            }

            var before = await store.GetSettingsAsync(tenant, context.RequestAborted);
            var errors = new List<ValidationError>();
            var settings = Apply(before, doc.RootElement, errors);
            if (errors.Count > 0)
            {
                return Problems.Invalid(errors);
            }

            await SaveAsync(tenant, before, settings, EventsApi.ApiActor(context), RequestContext.Of(context), cache, events, context.RequestAborted);
            return Describe(tenant, settings);
        }
    }

    /// <summary>
    /// <paramref name="before"/> with the settings named in <paramref name="changes"/> applied; each
    /// field that is unknown or out of range is added to <paramref name="errors"/>. The console's
    /// settings page sends its form through here too, so both check the same rules.
    /// </summary>
    internal static TenantSettings Apply(TenantSettings before, JsonElement changes, List<ValidationError> errors)
    {
        var settings = before;
        foreach (var property in changes.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "retention_days" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var days) && days is >= 1 and <= 3650:
                    settings = settings with { RetentionDays = days };
                    break;
                case "retention_days":
                    errors.Add(new(property.Name, "must be a whole number of days from 1 to 3650"));
                    break;
                case "time_zone" when value.ValueKind == JsonValueKind.String && TimeZoneInfo.TryFindSystemTimeZoneById(value.GetString()!, out _):
                    settings = settings with { TimeZone = value.GetString()! };
                    break;
                case "time_zone":
                    errors.Add(new(property.Name, "must be an IANA time zone name such as Europe/Rome or UTC"));
                    break;
                case "strict_mode" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    settings = settings with { StrictMode = value.GetBoolean() };
                    break;
                case "strict_mode":
                    errors.Add(new(property.Name, "must be true or false"));
                    break;
                case "legal_hold" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    settings = settings with { LegalHold = value.GetBoolean() };
                    break;
                case "legal_hold":
                    errors.Add(new(property.Name, "must be true or false"));
                    break;
                default:
                    errors.Add(new(property.Name, "unknown setting; the settings are retention_days, time_zone, strict_mode, legal_hold"));
                    break;
            }
        }

        return settings;
    }

    /// <summary>Saves the tenant's settings; placing or releasing a legal hold is recorded in the log, by whoever changed it.</summary>
    internal static async Task SaveAsync(
        string tenant, TenantSettings before, TenantSettings settings, EventActor actor, EventContext request, TenantSettingsCache cache, SystemEvents events, CancellationToken ct)
    {
        await cache.SaveAsync(tenant, settings, ct);
        if (settings.LegalHold != before.LegalHold)
        {
            await RecordLegalHoldAsync(tenant, settings, actor, request, events, ct);
        }
    }

    /// <summary>Placing and releasing a legal hold are themselves part of the tenant's record.</summary>
    private static Task RecordLegalHoldAsync(string tenant, TenantSettings settings, EventActor actor, EventContext request, SystemEvents events, CancellationToken ct) =>
        events.RecordAsync(new AuditEvent
        {
            Id = "",
            Tenant = tenant,
            OccurredAt = default,
            Type = LogTypes.Activity,
            Action = settings.LegalHold ? BuiltInActions.LegalHoldSet.Action : BuiltInActions.LegalHoldRelease.Action,
            Actor = actor,
            Outcome = Outcomes.Success,
            Context = request,
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["retention_days"] = settings.RetentionDays }),
        }, idempotent: false, ct);

    private static IResult Describe(string tenant, TenantSettings s) =>
        Results.Json(new SettingsResponse(tenant, s.RetentionDays, s.TimeZone, s.StrictMode, s.LegalHold), WitnessJson.Api.SettingsResponse);
}

/// <summary>The body of <c>PATCH /v1/settings</c>: the settings to change; those left out keep their value.</summary>
public sealed record SettingsChange(int? RetentionDays, string? TimeZone, bool? StrictMode, bool? LegalHold);

public sealed record SettingsResponse(string Tenant, int RetentionDays, string TimeZone, bool StrictMode, bool LegalHold);

public sealed record HealthResponse(string Status, string Store);
