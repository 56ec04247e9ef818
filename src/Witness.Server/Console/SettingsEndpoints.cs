using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Alerts;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Configuration;
using Witness.Server.Http;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// The console's settings pages, for Administrators only: <c>/console/settings/retention</c>,
/// <c>/alert-rules</c>, <c>/webhooks</c> and <c>/webhooks/{id}/deliveries</c>. Every change is a
/// POST with an anti-forgery token, read into the same typed request as the HTTP API's and checked,
/// saved and recorded by the same service (<see cref="SettingsService"/>, <see cref="AlertRuleService"/>,
/// <see cref="WebhookService"/>), so a change made here is handled exactly as one made through the API.
/// </summary>
internal static class SettingsEndpoints
{
    public static void Map(RouteGroupBuilder console)
    {
        var settings = console.MapGroup("/settings");
        settings.MapGet("", (HttpContext context) => Results.Redirect(AuditLogView.Build("/console/settings/retention", Tenant(context))));
        settings.MapGet("/retention", RetentionAsync);
        settings.MapPost("/retention", SaveRetentionAsync);
        settings.MapPost("/legal-hold", SetLegalHoldAsync);
        settings.MapGet("/alert-rules", AlertRulesAsync);
        settings.MapPost("/alert-rules", CreateAlertRuleAsync);
        settings.MapPost("/alert-rules/{id}/delete", DeleteAlertRuleAsync);
        settings.MapGet("/webhooks", WebhooksAsync);
        settings.MapPost("/webhooks", CreateWebhookAsync);
        settings.MapPost("/webhooks/{id}/delete", DeleteWebhookAsync);
        settings.MapGet("/webhooks/{id}/deliveries", DeliveriesAsync);
        settings.MapPost("/webhooks/{id}/deliveries/{deliveryId}/redeliver", RedeliverAsync);
        settings.MapPost("/erase", EraseSubjectAsync);
        AccessEndpoints.Map(settings);
        if (((IEndpointRouteBuilder)settings).ServiceProvider.GetService(typeof(Witness.Storage.IStreamStore)) is not null)
        {
            StreamsPage.Map(settings);
        }
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

    private static async Task SaveRetentionAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, SettingsService settings)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var entered = form["retention_days"].ToString().Trim();
        var days = FormNumber(entered);
        var change = new SettingsChange(days, null, null, null) { WrongType = days is null ? new HashSet<string> { "retention_days" } : new HashSet<string>() };
        var result = await settings.ChangeAsync(scope.Acting(context), change, context.RequestAborted);
        if (result.Value is null)
        {
            await RetentionPage.RenderAsync(context, assets, scope, await settings.GetAsync(scope.Tenant, context.RequestAborted), entered, result.Errors, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/retention", ("saved", "retention")));
    }

    /// <summary>
    /// "Erase this person's personal data" on an event's details (docs/erasure.md): the subject named in the query
    /// (<c>actor_id</c> or <c>email</c>) erased by the same <see cref="Privacy.SubjectErasure"/> as <c>POST /v1/subjects/erase</c>,
    /// recorded as the console user.
    /// </summary>
    private static async Task EraseSubjectAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, Privacy.SubjectErasure erasure)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        string? Given(string name) => context.Request.Query[name].ToString() is { Length: > 0 } value ? value : null;
        var (subject, errors) = Privacy.SubjectErasure.Check(Given("email"), Given("actor_id"));
        if (subject is null)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 400, "Nothing was erased", $"{errors[0].Field}: {errors[0].Message}.", Icons.Warning);
            return;
        }

        var acting = scope.Acting(context);
        var (count, _) = await erasure.EraseAsync(scope.Tenant, subject, acting.Actor, acting.Request, context.RequestAborted);
        var kept = count.Kept > 0 ? $" {count.Kept:N0} events stored before leaf version 2 keep their values." : "";
        await MessagePage.RenderAsync(context, assets, scope.Chrome, 200, "Personal data erased",
            $"The name, email, IP address, user agent and location of {count.Events:N0} event{(count.Events == 1 ? "" : "s")} now read [erased]. " +
            $"The events and every proof stay, and the erasure is recorded as a privacy.erase event.{kept}");
    }

    private static async Task SetLegalHoldAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, SettingsService settings)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        bool? hold = context.Request.Query["hold"].ToString() switch
        {
            "on" => true,
            "off" => false,
            _ => null,
        };
        var change = new SettingsChange(null, null, null, hold) { WrongType = hold is null ? new HashSet<string> { "legal_hold" } : new HashSet<string>() };
        var result = await settings.ChangeAsync(scope.Acting(context), change, context.RequestAborted);
        if (result.Value is null)
        {
            await RetentionPage.RenderAsync(context, assets, scope, await settings.GetAsync(scope.Tenant, context.RequestAborted), null, result.Errors, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/retention", ("saved", hold == true ? "hold-on" : "hold-off")));
    }

    private static async Task AlertRulesAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, AlertRuleService rules)
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
        await AlertRulesPage.RenderAsync(context, assets, scope, await rules.ListAsync(scope.Tenant, context.RequestAborted), null, [], notice, 200);
    }

    private static async Task CreateAlertRuleAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, AlertRuleService rules)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        var result = await rules.CreateAsync(scope.Acting(context), AlertRuleFromForm(form), ct);
        if (result.Value is null)
        {
            await AlertRulesPage.RenderAsync(context, assets, scope, await rules.ListAsync(scope.Tenant, ct), form, result.Errors, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/alert-rules", ("saved", "created")));
    }

    /// <summary>The rule the form describes: the fields its kind shows, as typed; a number that is not one is named by the service.</summary>
    private static AlertRuleRequest AlertRuleFromForm(IFormCollection form)
    {
        var kind = form["kind"].ToString();
        var isThreshold = kind == AlertKinds.Threshold;
        var wrong = new HashSet<string>();
        string? Text(string field, bool shown = true) => shown && form[field].ToString().Trim() is { Length: > 0 } value ? value : null;
        int? Number(string field)
        {
            if (Text(field, isThreshold) is not { } value)
            {
                return null;
            }

            var number = FormNumber(value);
            if (number is null)
            {
                wrong.Add(field);
            }

            return number;
        }

        return new AlertRuleRequest(
            Text("name"), Text("kind"), Text("query"), Number("threshold"), Number("window_minutes"), Text("group_by", isThreshold),
            Text("dimension", kind == AlertKinds.FirstSeen), form.ContainsKey("enabled"))
        {
            WrongType = wrong,
        };
    }

    private static async Task DeleteAlertRuleAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, AlertRuleService rules)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (await rules.DeleteAsync(scope.Acting(context), id, context.RequestAborted) is null)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such alert rule", "It may have been deleted already.", Icons.Warning);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/alert-rules", ("saved", "deleted")));
    }

    private static async Task WebhooksAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, WebhookService webhooks)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() == "deleted" ? "Webhook deleted with its delivery history." : null;
        await RenderWebhooksAsync(context, assets, scope, store, webhooks, null, [], null, notice, 200);
    }

    private static async Task CreateWebhookAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, WebhookService service)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        string? Text(string field) => form[field].ToString().Trim() is { Length: > 0 } value ? value : null;
        var request = new WebhookRequest(Text("url"), null, [.. form["event_types"]], null, Text("description"));
        var result = await service.CreateAsync(scope.Acting(context), request, ct);
        if (result.Value is not { } saved)
        {
            await RenderWebhooksAsync(context, assets, scope, store, service, form, result.Errors, null, null, 400);
            return;
        }

        // The secret goes into this answer only, never into a URL, so it is rendered here instead of after a redirect.
        context.Response.Headers.CacheControl = "no-cache, no-store";
        await RenderWebhooksAsync(context, assets, scope, store, service, null, [], saved.Webhook, "Webhook created.", 201);
    }

    private static async Task DeleteWebhookAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, WebhookService service)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (!await service.DeleteAsync(scope.Acting(context), id, context.RequestAborted))
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such webhook", "It may have been deleted already.", Icons.Warning);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/webhooks", ("saved", "deleted")));
    }

    private static async Task RenderWebhooksAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IWitnessStore store, WebhookService webhooks,
        IFormCollection? entered, IReadOnlyList<ValidationError> errors, Webhook? created, string? notice, int status)
    {
        var ct = context.RequestAborted;
        var zone = TenantZone.Of(await store.GetSettingsAsync(scope.Tenant, ct));
        await WebhooksPage.RenderAsync(context, assets, scope, await webhooks.ListAsync(scope.Tenant, ct), zone, entered, errors, created, notice, status);
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

    /// <summary>A whole number typed in a form, or null for anything else (the service then names the field).</summary>
    private static int? FormNumber(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static IEnumerable<(string, string?)> Tenant(HttpContext context) =>
        context.Request.Query["tenant"] is { Count: > 0 } tenant ? [("tenant", tenant.ToString())] : [];

    private static void SeeOther(HttpContext context, string url)
    {
        context.Response.Redirect(url);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }
}
