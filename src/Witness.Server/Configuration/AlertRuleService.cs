using Witness.Alerts;
using Witness.Events;
using Witness.Search;
using Witness.Server.Alerts;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Configuration;

/// <summary>
/// A tenant's alert rules: checks a rule, saves it, has the evaluator pick it up and records the change
/// in the tenant's log. <c>/v1/alerts/rules</c> and the console's alert rules page both change rules
/// only through here.
/// </summary>
internal sealed class AlertRuleService(
    IWitnessStore store, IAlertStore alerts, TenantSettingsCache settings, AlertService evaluator, TimeProvider clock, SystemEvents events)
{
    /// <summary>The fields of a rule, as the API spells them.</summary>
    public static readonly string[] Fields = ["name", "kind", "query", "threshold", "window_minutes", "group_by", "dimension", "enabled"];

    public Task<IReadOnlyList<AlertRule>> ListAsync(string tenant, CancellationToken ct) => alerts.ListAlertRulesAsync(tenant, ct);

    public Task<AlertRule?> FindAsync(string tenant, string id, CancellationToken ct) => alerts.FindAlertRuleAsync(tenant, id, ct);

    /// <summary>Creates the rule, or names every field that is wrong; a first-seen rule learns the log so far first.</summary>
    public Task<ChangeResult<AlertRule>> CreateAsync(TenantScope scope, AlertRuleRequest request, CancellationToken ct) => SaveAsync(scope, null, request, ct);

    /// <summary>Replaces the rule (it applies to events that arrive from now on); not found when the tenant has no such rule.</summary>
    public async Task<ChangeResult<AlertRule>> ReplaceAsync(TenantScope scope, string id, AlertRuleRequest request, CancellationToken ct)
    {
        var existing = await alerts.FindAlertRuleAsync(scope.Tenant, id, ct);
        return existing is null ? ChangeResult<AlertRule>.Missing : await SaveAsync(scope, existing, request, ct);
    }

    /// <summary>Deletes the rule and has the evaluator drop it; returns the rule deleted, or null when the tenant has no such rule.</summary>
    public async Task<AlertRule?> DeleteAsync(TenantScope scope, string id, CancellationToken ct)
    {
        var tenant = scope.Tenant;
        var rule = await alerts.FindAlertRuleAsync(tenant, id, ct);
        if (rule is null || !await alerts.DeleteAlertRuleAsync(tenant, id, ct))
        {
            return null;
        }

        evaluator.RulesChanged(tenant, (await store.GetFrontierAsync(tenant, ct))?.Size ?? 0);
        await ConfigurationChanges.AlertRuleAsync(events, tenant, rule, null, scope.Actor, scope.Request, ct);
        return rule;
    }

    private async Task<ChangeResult<AlertRule>> SaveAsync(TenantScope scope, AlertRule? existing, AlertRuleRequest request, CancellationToken ct)
    {
        var tenant = scope.Tenant;
        var (parsed, filter, errors) = Validate(request, TenantZone.Of(await settings.GetAsync(tenant, ct)));
        if (errors.Count > 0)
        {
            return ChangeResult<AlertRule>.Invalid(errors);
        }

        var now = clock.GetUtcNow();
        var rule = parsed! with
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
            await PrimeFirstSeenAsync(rule, filter!, ct);
        }

        await alerts.SaveAlertRuleAsync(rule, ct);
        evaluator.RulesChanged(tenant, head);
        await ConfigurationChanges.AlertRuleAsync(events, tenant, existing, rule, scope.Actor, scope.Request, ct);
        return ChangeResult<AlertRule>.Saved(rule);
    }

    /// <summary>A new first-seen rule learns from the log so far, so it alerts on what is new from now on, not on every actor's history.</summary>
    private async Task PrimeFirstSeenAsync(AlertRule rule, EventFilter filter, CancellationToken ct)
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

    /// <summary>A rule (without id, tenant and times) and its query's filter, or every field that is wrong.</summary>
    private static (AlertRule? Rule, EventFilter? Filter, List<ValidationError> Errors) Validate(AlertRuleRequest request, TimeZoneInfo zone)
    {
        var errors = new List<ValidationError>();
        foreach (var field in request.UnknownFields)
        {
            errors.Add(new(field, $"unknown field; the fields are {string.Join(", ", Fields)}"));
        }

        var name = Text(request, "name", request.Name, errors, required: true, max: 200);
        var kind = Text(request, "kind", request.Kind, errors, required: true, max: 32);
        if (kind is not null && !AlertKinds.All.Contains(kind))
        {
            errors.Add(new("kind", $"must be one of {string.Join(", ", AlertKinds.All)}"));
        }

        var query = Text(request, "query", request.Query, errors, required: kind == AlertKinds.Match, max: 2000) ?? "";
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
        var threshold = Number(request, "threshold", request.Threshold, errors, isThreshold, 2, 100_000, kind);
        var window = Number(request, "window_minutes", request.WindowMinutes, errors, isThreshold, 1, 10_080, kind);
        var groupBy = Choice(request, "group_by", request.GroupBy, errors, isThreshold, [AlertGroups.Actor, AlertGroups.Ip], AlertGroups.Actor, kind);
        var dimension = Choice(request, "dimension", request.Dimension, errors, kind == AlertKinds.FirstSeen, [AlertGroups.Ip, AlertGroups.Country], AlertGroups.Ip, kind);
        if (request.WrongType.Contains("enabled"))
        {
            errors.Add(new("enabled", "must be true or false"));
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
            Enabled = request.Enabled ?? true,
        }, filter, errors);
    }

    private static string? Text(AlertRuleRequest request, string field, string? value, List<ValidationError> errors, bool required, int max)
    {
        if (!request.Has(field, value))
        {
            if (required)
            {
                errors.Add(new(field, "is required"));
            }

            return null;
        }

        if (value is null || (required && string.IsNullOrWhiteSpace(value)) || value.Length > max)
        {
            errors.Add(new(field, $"must be a{(required ? " non-empty" : "")} string of at most {max} characters"));
            return null;
        }

        return value;
    }

    private static int? Number(AlertRuleRequest request, string field, int? value, List<ValidationError> errors, bool applies, int min, int max, string? kind)
    {
        if (!request.Has(field, value))
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

        if (value is not { } number || number < min || number > max)
        {
            errors.Add(new(field, $"must be a whole number from {min} to {max}"));
            return null;
        }

        return number;
    }

    private static string? Choice(AlertRuleRequest request, string field, string? value, List<ValidationError> errors, bool applies, string[] allowed, string fallback, string? kind)
    {
        if (!request.Has(field, value))
        {
            return applies ? fallback : null;
        }

        if (!applies)
        {
            errors.Add(new(field, $"does not apply to {kind ?? "this kind of"} rules"));
            return null;
        }

        if (value is null || !allowed.Contains(value))
        {
            errors.Add(new(field, $"must be one of {string.Join(", ", allowed)}"));
            return null;
        }

        return value;
    }
}
