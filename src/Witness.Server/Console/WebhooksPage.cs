using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Webhooks: the tenant's endpoints (URL, event types, enabled) with their delivery
/// history and a confirmed delete, a form for a new endpoint, and the new endpoint's signing secret,
/// shown once in the answer that created it and never again.
/// </summary>
internal static class WebhooksPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<Webhook> webhooks, TimeZoneInfo zone,
        IFormCollection? entered, IReadOnlyList<ValidationError> errors, Webhook? created, string? notice, int status)
    {
        var html = SettingsLayout.Begin(assets, scope, "webhooks", "Webhooks",
            "Endpoints that receive alerts and checkpoints, signed as Standard Webhooks with the endpoint's secret.", notice);
        SettingsLayout.WriteErrorSummary(html, errors, Label);
        if (created is not null)
        {
            html.Open("section", ("class", "secret-once"), ("role", "status"), ("aria-labelledby", "secret-heading"))
                .Markup(Icons.Key)
                .Open("div")
                .Element("h2", "Copy the signing secret now", ("id", "secret-heading"))
                .Open("p").Text("This is the only time the secret of ").Element("strong", created.Url).Text(" is shown. Keep it where your receiver verifies signatures.").Close("p")
                .Element("code", created.Secret, ("class", "secret-value"), ("data-secret", ""))
                .Close("div")
                .Close("section");
        }

        WriteList(html, scope, webhooks, zone);
        WriteForm(html, scope, entered, errors);
        return SettingsLayout.EndAsync(html, context, status);
    }

    public static string Label(string field) => field switch
    {
        "url" => "Endpoint URL",
        "event_types" => "Event types",
        "description" => "Description",
        "enabled" => "Enabled",
        "secret" => "Secret",
        _ when field.StartsWith("event_types[", StringComparison.Ordinal) => "Event type",
        _ => field,
    };

    private static void WriteList(HtmlWriter html, SettingsScope scope, IReadOnlyList<Webhook> webhooks, TimeZoneInfo zone)
    {
        html.Open("div", ("class", "table-card"));
        if (webhooks.Count == 0)
        {
            html.Open("div", ("class", "empty")).Markup(Icons.External)
                .Element("h2", "No webhooks yet")
                .Element("p", "Add an endpoint below to receive alerts as they fire.")
                .Close("div").Close("div");
            return;
        }

        html.Open("table", ("class", "log settings-table")).Open("thead").Open("tr");
        foreach (var heading in new[] { "Endpoint", "Event types", "Enabled", "Created" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Actions", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var webhook in webhooks)
        {
            html.Open("tr", ("data-webhook-id", webhook.Id))
                .Open("td", ("data-label", "Endpoint"))
                .Element("div", webhook.Url, ("class", "mono endpoint-url"))
                .Element("div", webhook.Description, ("class", "sub"))
                .Close("td")
                .Open("td", ("data-label", "Event types"));
            foreach (var type in webhook.EventTypes)
            {
                html.Element("span", type, ("class", "category"));
            }

            html.Close("td")
                .Open("td", ("data-label", "Enabled"))
                .Element("span", webhook.Enabled ? "Enabled" : "Disabled", ("class", webhook.Enabled ? "badge badge-success" : "badge badge-off"))
                .Close("td")
                .Open("td", ("data-label", "Created"))
                .Element("time", ConsoleFormat.LocalTime(webhook.CreatedAt, zone), ("datetime", Rfc3339.FormatFixed(webhook.CreatedAt)), ("class", "nowrap"))
                .Close("td")
                .Open("td", ("class", "actions-cell"))
                .Element("a", "Deliveries", ("class", "btn btn-small"), ("href", scope.Url($"/console/settings/webhooks/{Uri.EscapeDataString(webhook.Id)}/deliveries")));
            SettingsLayout.WriteConfirm(html, scope.Chrome, scope.Url($"/console/settings/webhooks/{Uri.EscapeDataString(webhook.Id)}/delete"),
                "Delete…", "Delete this webhook and its delivery history?", "Yes, delete webhook", danger: true);
            html.Close("td").Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
    }

    private static void WriteForm(HtmlWriter html, SettingsScope scope, IFormCollection? entered, IReadOnlyList<ValidationError> errors)
    {
        var types = entered is null ? [WebhookEventTypes.AlertFired] : entered["event_types"].Select(t => t ?? "").ToArray();
        html.Open("section", ("class", "settings-card"), ("aria-labelledby", "new-webhook-heading"))
            .Element("h2", "New webhook", ("id", "new-webhook-heading"))
            .Open("form", ("method", "post"), ("action", scope.Url("/console/settings/webhooks")), ("class", "settings-form"), ("novalidate", ""));
        SettingsLayout.WriteAntiforgery(html, scope.Chrome);
        html.Open("div", ("class", "form-grid"));
        foreach (var (field, type, placeholder) in new[] { ("url", "url", "https://hooks.example.com/witness"), ("description", "text", "Security team") })
        {
            var (invalid, describedBy) = SettingsLayout.Invalid(errors, field);
            html.Open("div", ("class", field == "url" ? "form-cell wide" : "form-cell"))
                .Open("label", ("class", "field")).Element("span", Label(field))
                .Void("input", ("type", type), ("name", field), ("value", entered?[field].ToString()), ("placeholder", placeholder),
                    ("aria-invalid", invalid), ("aria-describedby", describedBy), ("autocomplete", "off"), ("spellcheck", "false"))
                .Close("label");
            SettingsLayout.WriteFieldError(html, errors, field, Label);
            html.Close("div");
        }

        html.Close("div")
            .Open("fieldset", ("class", "checks"))
            .Element("legend", Label("event_types"));
        foreach (var type in WebhookEventTypes.All)
        {
            html.Open("label", ("class", "check"))
                .Void("input", ("type", "checkbox"), ("name", "event_types"), ("value", type), ("checked", types.Contains(type) ? "" : null))
                .Element("span", type == WebhookEventTypes.AlertFired ? "alert.fired — an alert rule fired" : "checkpoint — each signed checkpoint of the log")
                .Close("label");
        }

        html.Close("fieldset");
        SettingsLayout.WriteFieldError(html, errors, "event_types", Label);
        html.Element("p", "A signing secret is generated for the endpoint and shown once after it is created.", ("class", "hint"))
            .Element("button", "Create webhook", ("class", "btn btn-primary"), ("type", "submit"))
            .Close("form").Close("section");
    }
}
