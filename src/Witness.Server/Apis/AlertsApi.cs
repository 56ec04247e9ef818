using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Alerts;
using Witness.Events;
using Witness.Search;
using Witness.Server.Alerts;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>A tenant's alert rules: <c>/v1/alerts/rules</c> (admin scope).</summary>
public static class AlertsApi
{
    private static readonly string[] Fields = ["name", "kind", "query", "threshold", "window_minutes", "group_by", "dimension", "enabled"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/alerts/rules").WithTags("Alerts").RequireAuthorization(Scopes.Admin).WithTenantParameter();
        group.MapGet("", ListAsync).WithSummary("The tenant's alert rules.").Produces<AlertRuleList>(200);
        group.MapPost("", CreateAsync)
            .WithSummary("Create a rule: kind threshold (threshold, window_minutes, group_by actor|ip), first_seen (dimension ip|country) or match; query in the search language.")
            .Accepts<AlertRuleRequest>("application/json").Produces<AlertRuleResponse>(201).ProducesProblem(400);
        group.MapGet("/{id}", GetAsync).WithSummary("One alert rule.").Produces<AlertRuleResponse>(200).ProducesProblem(404);
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace an alert rule; it applies to events that arrive from now on.")
            .Accepts<AlertRuleRequest>("application/json").Produces<AlertRuleResponse>(200).ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete an alert rule.").Produces(204).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IAlertStore alerts)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var rules = await alerts.ListAlertRulesAsync(tenant, context.RequestAborted);
        return Results.Json(new AlertRuleList([.. rules.Select(Describe)]), AlertsJson.Api.AlertRuleList);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, IAlertStore alerts)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var rule = await alerts.FindAlertRuleAsync(tenant, id, context.RequestAborted);
        return rule is null ? NotFound(tenant, id) : Results.Json(Describe(rule), AlertsJson.Api.AlertRuleResponse);
    }

    private static Task<IResult> CreateAsync(HttpContext context, IWitnessStore store, IAlertStore alerts, TenantSettingsCache settings, AlertService service, TimeProvider clock) =>
        SaveAsync(context, null, store, alerts, settings, service, clock);

    private static Task<IResult> ReplaceAsync(HttpContext context, string id, IWitnessStore store, IAlertStore alerts, TenantSettingsCache settings, AlertService service, TimeProvider clock) =>
        SaveAsync(context, id, store, alerts, settings, service, clock);

    private static async Task<IResult> SaveAsync(
        HttpContext context, string? id, IWitnessStore store, IAlertStore alerts, TenantSettingsCache settings, AlertService service, TimeProvider clock)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var ct = context.RequestAborted;
        var existing = id is null ? null : await alerts.FindAlertRuleAsync(tenant, id, ct);
        if (id is not null && existing is null)
        {
            return NotFound(tenant, id);
        }

        var parsed = await ParseAsync(context, TenantZone.Of(await settings.GetAsync(tenant, ct)));
        if (parsed.Errors is { } errors)
        {
            return Problems.Invalid(errors);
        }

        var rule = await SaveRuleAsync(tenant, existing, parsed.Rule!, parsed.Filter!, store, alerts, service, clock, ct);
        return Results.Json(Describe(rule), AlertsJson.Api.AlertRuleResponse, statusCode: existing is null ? 201 : 200);
    }

    /// <summary>
    /// Saves a validated rule as a new rule of the tenant, or in place of <paramref name="existing"/>,
    /// and has the evaluator pick it up. The API and the console's alert rules page both save through here.
    /// </summary>
    internal static async Task<AlertRule> SaveRuleAsync(
        string tenant, AlertRule? existing, AlertRule parsed, EventFilter filter, IWitnessStore store, IAlertStore alerts, AlertService service, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var rule = parsed with
        {
            Id = existing?.Id ?? "rule_" + Guid.CreateVersion7(now).ToString("N"),
            Tenant = tenant,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        var head = (await store.GetFrontierAsync(tenant, ct))?.Size ?? 0;
        if (existing is not null && (existing.Query != rule.Query || existing.Dimension != rule.Dimension || existing.Kind != rule.Kind))
        {
            await alerts.ClearSeenValuesAsync(rule.Id, ct);
        }

        if (rule.Kind == AlertKinds.FirstSeen)
        {
            await PrimeFirstSeenAsync(store, alerts, rule, filter, ct);
        }

        await alerts.SaveAlertRuleAsync(rule, ct);
        service.RulesChanged(tenant, head);
        return rule;
    }

    /// <summary>A new first-seen rule learns from the log so far, so it alerts on what is new from now on, not on every actor's history.</summary>
    private static async Task PrimeFirstSeenAsync(IWitnessStore store, IAlertStore alerts, AlertRule rule, EventFilter filter, CancellationToken ct)
    {
        var pairs = new HashSet<(string, string)>();
        await foreach (var stored in store.StreamAsync(rule.Tenant, filter, ct))
        {
            var e = stored.Event;
            var actor = e.Actor.Id ?? e.Actor.Email?.ToLowerInvariant();
            var value = rule.Dimension == AlertGroups.Country ? e.Context?.Location?.Country?.ToUpperInvariant() : e.Context?.Ip;
            if (actor is not null && value is not null)
            {
                pairs.Add((actor, value));
            }

            if (pairs.Count >= 10_000)
            {
                await alerts.AddSeenValuesAsync(rule.Id, pairs, ct);
                pairs.Clear();
            }
        }

        await alerts.AddSeenValuesAsync(rule.Id, pairs, ct);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string id, IAlertStore alerts, IWitnessStore store, AlertService service)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        return await DeleteRuleAsync(tenant, id, alerts, store, service, context.RequestAborted) ? Results.NoContent() : NotFound(tenant, id);
    }

    /// <summary>Deletes the tenant's rule and has the evaluator drop it; false when the tenant has no such rule.</summary>
    internal static async Task<bool> DeleteRuleAsync(string tenant, string id, IAlertStore alerts, IWitnessStore store, AlertService service, CancellationToken ct)
    {
        if (!await alerts.DeleteAlertRuleAsync(tenant, id, ct))
        {
            return false;
        }

        service.RulesChanged(tenant, (await store.GetFrontierAsync(tenant, ct))?.Size ?? 0);
        return true;
    }

    private static async Task<(AlertRule? Rule, EventFilter? Filter, List<ValidationError>? Errors)> ParseAsync(HttpContext context, TimeZoneInfo zone)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return (null, null, [new("body", $"not valid JSON: {ex.Message}")]);
        }

        using (doc)
        {
            return doc.RootElement.ValueKind != JsonValueKind.Object ? (null, null, [new("body", "expected a JSON object")]) : Validate(doc.RootElement, zone);
        }
    }

    /// <summary>
    /// A rule (without id, tenant and times) and its query's filter from a request's fields, or the
    /// fields that are wrong. The console's alert rules page checks its form through here too.
    /// </summary>
    internal static (AlertRule? Rule, EventFilter? Filter, List<ValidationError>? Errors) Validate(JsonElement root, TimeZoneInfo zone)
    {
        var errors = new List<ValidationError>();
        foreach (var property in root.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
        {
            errors.Add(new(property.Name, $"unknown field; the fields are {string.Join(", ", Fields)}"));
        }

        var name = Text(root, "name", errors, required: true, max: 200);
        var kind = Text(root, "kind", errors, required: true, max: 32);
        if (kind is not null && !AlertKinds.All.Contains(kind))
        {
            errors.Add(new("kind", $"must be one of {string.Join(", ", AlertKinds.All)}"));
        }

        var query = Text(root, "query", errors, required: kind == AlertKinds.Match, max: 2000) ?? "";
        EventFilter? filter = null;
        try
        {
            filter = SearchQueryParser.Parse(query, zone);
        }
        catch (SearchSyntaxException ex)
        {
            errors.Add(new("query", ex.Message));
        }

        var isThreshold = kind == AlertKinds.Threshold;
        var threshold = Number(root, "threshold", errors, isThreshold, 2, 100_000, kind);
        var window = Number(root, "window_minutes", errors, isThreshold, 1, 10_080, kind);
        var groupBy = Choice(root, "group_by", errors, isThreshold, [AlertGroups.Actor, AlertGroups.Ip], AlertGroups.Actor, kind);
        var dimension = Choice(root, "dimension", errors, kind == AlertKinds.FirstSeen, [AlertGroups.Ip, AlertGroups.Country], AlertGroups.Ip, kind);
        var enabled = true;
        if (root.TryGetProperty("enabled", out var e))
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                enabled = e.GetBoolean();
            }
            else
            {
                errors.Add(new("enabled", "must be true or false"));
            }
        }

        if (errors.Count > 0)
        {
            return (null, null, errors);
        }

        return (new AlertRule
        {
            Id = "",
            Tenant = "",
            Name = name!,
            Kind = kind!,
            Query = query,
            Threshold = threshold,
            WindowMinutes = window,
            GroupBy = groupBy,
            Dimension = dimension,
            Enabled = enabled,
        }, filter, null);
    }

    private static string? Text(JsonElement root, string field, List<ValidationError> errors, bool required, int max)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add(new(field, "is required"));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || (required && string.IsNullOrWhiteSpace(value.GetString())) || value.GetString()!.Length > max)
        {
            errors.Add(new(field, $"must be a{(required ? " non-empty" : "")} string of at most {max} characters"));
            return null;
        }

        return value.GetString();
    }

    private static int? Number(JsonElement root, string field, List<ValidationError> errors, bool applies, int min, int max, string? kind)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (applies)
            {
                errors.Add(new(field, $"is required for a {kind} rule"));
            }

            return null;
        }

        if (!applies)
        {
            errors.Add(new(field, $"applies only to threshold rules, not to {kind ?? "this kind of"} rules"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            errors.Add(new(field, $"must be a whole number from {min} to {max}"));
            return null;
        }

        return number;
    }

    private static string? Choice(JsonElement root, string field, List<ValidationError> errors, bool applies, string[] allowed, string fallback, string? kind)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return applies ? fallback : null;
        }

        if (!applies)
        {
            errors.Add(new(field, $"does not apply to {kind ?? "this kind of"} rules"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || !allowed.Contains(value.GetString()))
        {
            errors.Add(new(field, $"must be one of {string.Join(", ", allowed)}"));
            return null;
        }

        return value.GetString();
    }

    private static IResult NotFound(string tenant, string id) => Problems.NotFound($"No alert rule '{id}' in tenant '{tenant}'.");

    private static AlertRuleResponse Describe(AlertRule r) =>
        new(r.Id, r.Tenant, r.Name, r.Kind, r.Query, r.Threshold, r.WindowMinutes, r.GroupBy, r.Dimension, r.Enabled, r.CreatedAt, r.UpdatedAt);
}

/// <summary>A rule as sent: every field but kind and name is optional where its kind does not need it.</summary>
public sealed record AlertRuleRequest(string Name, string Kind, string? Query, int? Threshold, int? WindowMinutes, string? GroupBy, string? Dimension, bool? Enabled);

public sealed record AlertRuleResponse(
    string Id, string Tenant, string Name, string Kind, string Query, int? Threshold, int? WindowMinutes, string? GroupBy, string? Dimension,
    bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record AlertRuleList(IReadOnlyList<AlertRuleResponse> Rules);
