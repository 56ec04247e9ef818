using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Alerts;
using Witness.Events;
using Witness.Server.Alerts;
using Witness.Server.Apis;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// The console's settings pages, for Administrators only: <c>/console/settings/retention</c>,
/// <c>/alert-rules</c>, <c>/webhooks</c> and <c>/webhooks/{id}/deliveries</c>. Every change is a
/// POST with an anti-forgery token, checked and saved by the same code as the HTTP API
/// (<see cref="SettingsApi"/>, <see cref="AlertsApi"/>, <see cref="WebhooksApi"/>), so a change
/// made here is validated, applied and recorded exactly as one made through the API.
/// </summary>
internal static class SettingsEndpoints
{
    public static void Map(RouteGroupBuilder console)
    {
        var settings = console.MapGroup("/settings");
        settings.MapGet("", (HttpContext context) => Results.Redirect(AuditLogView.Build("/console/settings/retention", Tenant(context))));
        settings.MapGet("/retention", RetentionAsync);
        settings.MapPost("/retention", SaveRetentionAsync).DisableAntiforgery();
        settings.MapPost("/legal-hold", SetLegalHoldAsync).DisableAntiforgery();
        settings.MapGet("/alert-rules", AlertRulesAsync);
        settings.MapPost("/alert-rules", CreateAlertRuleAsync).DisableAntiforgery();
        settings.MapPost("/alert-rules/{id}/delete", DeleteAlertRuleAsync).DisableAntiforgery();
        settings.MapGet("/webhooks", WebhooksAsync);
        settings.MapPost("/webhooks", CreateWebhookAsync).DisableAntiforgery();
        settings.MapPost("/webhooks/{id}/delete", DeleteWebhookAsync).DisableAntiforgery();
        settings.MapGet("/webhooks/{id}/deliveries", DeliveriesAsync);
        settings.MapPost("/webhooks/{id}/deliveries/{deliveryId}/redeliver", RedeliverAsync).DisableAntiforgery();
        AccessEndpoints.Map(settings);
    }

    private static async Task RetentionAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() switch
        {
            "retention" => "Retention saved.",
            "hold-on" => "Legal hold placed. Nothing is purged until it is released.",
            "hold-off" => "Legal hold released.",
            _ => null,
        };
        await RetentionPage.RenderAsync(context, assets, scope, await store.GetSettingsAsync(scope.Tenant, context.RequestAborted), null, [], notice, 200);
    }

    private static async Task SaveRetentionAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, TenantSettingsCache cache, SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var entered = form["retention_days"].ToString().Trim();
        var changes = new JsonObject { ["retention_days"] = FormNumber(entered) };
        if (await SaveSettingsAsync(context, scope, store, cache, events, changes) is { } refused)
        {
            await RetentionPage.RenderAsync(context, assets, scope, refused.Current, entered, refused.Errors, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/retention", ("saved", "retention")));
    }

    private static async Task SetLegalHoldAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, TenantSettingsCache cache, SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var hold = context.Request.Query["hold"].ToString() switch
        {
            "on" => JsonValue.Create(true),
            "off" => JsonValue.Create(false),
            var other => (JsonNode)JsonValue.Create(other),
        };
        if (await SaveSettingsAsync(context, scope, store, cache, events, new JsonObject { ["legal_hold"] = hold }) is { } refused)
        {
            await RetentionPage.RenderAsync(context, assets, scope, refused.Current, null, refused.Errors, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/retention", ("saved", hold.GetValueKind() == JsonValueKind.True ? "hold-on" : "hold-off")));
    }

    /// <summary>Applies and saves the changes as <c>PATCH /v1/settings</c> does; the errors and the unchanged settings when refused.</summary>
    private static async Task<(TenantSettings Current, List<ValidationError> Errors)?> SaveSettingsAsync(
        HttpContext context, SettingsScope scope, IWitnessStore store, TenantSettingsCache cache, SystemEvents events, JsonObject changes)
    {
        var ct = context.RequestAborted;
        var before = await store.GetSettingsAsync(scope.Tenant, ct);
        var errors = new List<ValidationError>();
        var settings = SettingsApi.Apply(before, JsonSerializer.SerializeToElement(changes, ConsoleFormJson.Default.JsonObject), errors);
        if (errors.Count > 0)
        {
            return (before, errors);
        }

        await SettingsApi.SaveAsync(scope.Tenant, before, settings, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), cache, events, ct);
        return null;
    }

    private static async Task AlertRulesAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IAlertStore alerts)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() switch
        {
            "created" => "Alert rule created. It applies to events that arrive from now on.",
            "deleted" => "Alert rule deleted.",
            _ => null,
        };
        await AlertRulesPage.RenderAsync(context, assets, scope, await alerts.ListAlertRulesAsync(scope.Tenant, context.RequestAborted), null, [], notice, 200);
    }

    private static async Task CreateAlertRuleAsync(
        HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IAlertStore alerts, TenantSettingsCache settings, AlertService service, TimeProvider clock,
        SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        var kind = form["kind"].ToString();
        var request = new JsonObject { ["enabled"] = form.ContainsKey("enabled") };
        var fields = new List<string> { "name", "kind", "query" };
        if (kind == AlertKinds.Threshold)
        {
            fields.AddRange(["threshold", "window_minutes", "group_by"]);
        }
        else if (kind == AlertKinds.FirstSeen)
        {
            fields.Add("dimension");
        }

        foreach (var field in fields)
        {
            var value = form[field].ToString().Trim();
            if (value.Length > 0)
            {
                request[field] = field is "threshold" or "window_minutes" ? FormNumber(value) : value;
            }
        }

        var parsed = AlertsApi.Validate(JsonSerializer.SerializeToElement(request, ConsoleFormJson.Default.JsonObject), TenantZone.Of(await settings.GetAsync(scope.Tenant, ct)));
        if (parsed.Errors is { } errors)
        {
            await AlertRulesPage.RenderAsync(context, assets, scope, await alerts.ListAlertRulesAsync(scope.Tenant, ct), form, errors, null, 400);
            return;
        }

        var rule = await AlertsApi.SaveRuleAsync(scope.Tenant, null, parsed.Rule!, parsed.Filter!, store, alerts, service, clock, ct);
        await ConfigurationChanges.AlertRuleAsync(events, scope.Tenant, null, rule, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), ct);
        SeeOther(context, scope.Url("/console/settings/alert-rules", ("saved", "created")));
    }

    private static async Task DeleteAlertRuleAsync(
        HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IAlertStore alerts, AlertService service, SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (await AlertsApi.DeleteRuleAsync(scope.Tenant, id, alerts, store, service, context.RequestAborted) is not { } deleted)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such alert rule", "It may have been deleted already.", Icons.Warning);
            return;
        }

        await ConfigurationChanges.AlertRuleAsync(events, scope.Tenant, deleted, null, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted);

        SeeOther(context, scope.Url("/console/settings/alert-rules", ("saved", "deleted")));
    }

    private static async Task WebhooksAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IWebhookStore webhooks)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() == "deleted" ? "Webhook deleted with its delivery history." : null;
        await RenderWebhooksAsync(context, assets, scope, store, webhooks, null, [], null, notice, 200);
    }

    private static async Task CreateWebhookAsync(
        HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IWebhookStore webhooks, TimeProvider clock, SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        var request = new JsonObject { ["event_types"] = new JsonArray([.. form["event_types"].Select(t => (JsonNode?)JsonValue.Create(t))]) };
        foreach (var field in new[] { "url", "description" })
        {
            var value = form[field].ToString().Trim();
            if (value.Length > 0)
            {
                request[field] = value;
            }
        }

        var (parsed, errors) = WebhooksApi.Validate(JsonSerializer.SerializeToElement(request, ConsoleFormJson.Default.JsonObject));
        if (errors.Count > 0)
        {
            await RenderWebhooksAsync(context, assets, scope, store, webhooks, form, errors, null, null, 400);
            return;
        }

        // The secret goes into this answer only, never into a URL, so it is rendered here instead of after a redirect.
        var (webhook, _) = await WebhooksApi.SaveWebhookAsync(scope.Tenant, null, parsed!, webhooks, clock, ct);
        await ConfigurationChanges.WebhookAsync(events, scope.Tenant, null, webhook, secretReplaced: true, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), ct);
        context.Response.Headers.CacheControl = "no-store";
        await RenderWebhooksAsync(context, assets, scope, store, webhooks, null, [], webhook, "Webhook created.", 201);
    }

    private static async Task DeleteWebhookAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IWebhookStore webhooks, SystemEvents events)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (!await WebhooksApi.DeleteWebhookAsync(scope.Tenant, id, webhooks, events, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted))
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such webhook", "It may have been deleted already.", Icons.Warning);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/webhooks", ("saved", "deleted")));
    }

    private static async Task RenderWebhooksAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IWitnessStore store, IWebhookStore webhooks,
        IFormCollection? entered, IReadOnlyList<ValidationError> errors, Webhook? created, string? notice, int status)
    {
        var ct = context.RequestAborted;
        var zone = TenantZone.Of(await store.GetSettingsAsync(scope.Tenant, ct));
        await WebhooksPage.RenderAsync(context, assets, scope, await webhooks.ListWebhooksAsync(scope.Tenant, ct), zone, entered, errors, created, notice, status);
    }

    private static async Task DeliveriesAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IWebhookStore webhooks)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var webhook = await webhooks.FindWebhookAsync(scope.Tenant, id, ct);
        if (webhook is null)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such webhook", "It may have been deleted.", Icons.Warning);
            return;
        }

        var notice = context.Request.Query["redelivered"].Count > 0 ? "The message was queued again as a new delivery." : null;
        var zone = TenantZone.Of(await store.GetSettingsAsync(scope.Tenant, ct));
        await DeliveriesPage.RenderAsync(context, assets, scope, webhook, await webhooks.ListDeliveriesAsync(scope.Tenant, id, DeliveriesPage.Shown, ct), zone, notice);
    }

    private static async Task RedeliverAsync(
        HttpContext context, string id, string deliveryId, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IWebhookStore webhooks, WebhookDispatcher dispatcher)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var delivery = await webhooks.FindDeliveryAsync(scope.Tenant, id, deliveryId, context.RequestAborted);
        if (delivery is null)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such delivery", "It may have been deleted with its webhook.", Icons.Warning);
            return;
        }

        await dispatcher.RedeliverAsync(delivery, context.RequestAborted);
        SeeOther(context, scope.Url($"/console/settings/webhooks/{Uri.EscapeDataString(id)}/deliveries", ("redelivered", "1")));
    }

    /// <summary>A whole number as a JSON number, anything else as the text typed, so the shared validation names the field.</summary>
    private static JsonNode FormNumber(string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(value);

    private static IEnumerable<(string, string?)> Tenant(HttpContext context) =>
        context.Request.Query["tenant"] is { Count: > 0 } tenant ? [("tenant", tenant.ToString())] : [];

    private static void SeeOther(HttpContext context, string url)
    {
        context.Response.Redirect(url);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }
}
