using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Server.Auth;
using Witness.Server.Configuration;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>A tenant's settings: retention, legal hold, time zone, strict mode; <see cref="SettingsService"/> checks, saves and records changes.</summary>
internal static class SettingsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/settings").WithTags("Settings").WithTenantParameter().ResolvesTenant();
        group.MapGet("", GetAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The tenant's retention days, time zone, strict mode and legal hold.")
            .Produces<SettingsResponse>(200);
        group.MapMethods("", ["PATCH"], PatchAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Change retention_days (1–3650), time_zone (IANA name), strict_mode, legal_hold or personal_data_days (1–3650, null: kept as long as the events; docs/erasure.md); fields left out keep their value. Placing or releasing a legal hold is recorded in the log.")
            .Accepts<SettingsChange>("application/json")
            .Produces<SettingsResponse>(200).ProducesProblem(400);
    }

    private static async Task<IResult> GetAsync(HttpContext context, TenantScope scope, SettingsService settings) =>
        Describe(scope.Tenant, await settings.GetAsync(scope.Tenant, context.RequestAborted));

    private static async Task<IResult> PatchAsync(HttpContext context, TenantScope scope, SettingsService settings)
    {
        var (change, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        if (refusal is not null)
        {
            return refusal;
        }

        var result = await settings.ChangeAsync(scope, change!, context.RequestAborted);
        return result.Value is { } saved ? Describe(scope.Tenant, saved) : Problems.Invalid(result.Errors);
    }

    private static SettingsChange Read(JsonElement root)
    {
        var fields = new JsonRequestFields(root, SettingsService.Fields, nullIsLeftOut: false);
        return new SettingsChange(fields.Int32("retention_days"), fields.String("time_zone"), fields.Boolean("strict_mode"), fields.Boolean("legal_hold"))
        {
            PersonalDataDays = fields.Int32("personal_data_days"),
            KeepPersonalData = root.TryGetProperty("personal_data_days", out var personal) && personal.ValueKind == JsonValueKind.Null,
            UnknownFields = fields.Unknown,
            WrongType = fields.WrongType,
        };
    }

    private static IResult Describe(string tenant, TenantSettings s) =>
        Results.Json(new SettingsResponse(tenant, s.RetentionDays, s.TimeZone, s.StrictMode, s.LegalHold, s.PersonalDataDays), WitnessJson.Api.SettingsResponse);
}

internal sealed record SettingsResponse(string Tenant, int RetentionDays, string TimeZone, bool StrictMode, bool LegalHold, int? PersonalDataDays);

internal sealed record HealthResponse(string Status, string Store);
