using System.Globalization;
using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Webhooks › Deliveries: one endpoint's deliveries, newest first, with status, attempts,
/// the last answer or error and times, and a Redeliver button that queues the message again.
/// </summary>
internal static class DeliveriesPage
{
    public const int Shown = 100;

    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, Webhook webhook, IReadOnlyList<WebhookDelivery> deliveries, TimeZoneInfo zone, string? notice)
    {
        var html = SettingsLayout.Begin(assets, scope, "webhooks", "Webhook deliveries",
            "Every message sent to this endpoint, newest first. Redeliver sends a message again with the same webhook-id.", notice);
        html.Open("div", ("class", "endpoint-head"))
            .Element("a", "← All webhooks", ("href", scope.Url("/console/settings/webhooks")))
            .Element("div", webhook.Url, ("class", "mono endpoint-url"), ("data-endpoint", ""))
            .Close("div");

        html.Open("div", ("class", "table-card"));
        if (deliveries.Count == 0)
        {
            html.Open("div", ("class", "empty")).Markup(Icons.Inbox)
                .Element("h2", "No deliveries yet")
                .Element("p", "Messages appear here as soon as an alert or checkpoint is sent to this endpoint.")
                .Close("div").Close("div");
            return SettingsLayout.EndAsync(html, context, 200);
        }

        html.Open("table", ("class", "log settings-table deliveries")).Open("thead").Open("tr");
        foreach (var heading in new[] { "Message", "Status", "Attempts", "Last answer", "Created", "Finished" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Actions", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var delivery in deliveries)
        {
            html.Open("tr", ("class", "delivery"), ("data-delivery-id", delivery.Id))
                .Open("td", ("data-label", "Message"))
                .Element("div", delivery.EventType, ("class", "strong"))
                .Element("div", delivery.MessageId, ("class", "sub mono"))
                .Close("td")
                .Open("td", ("data-label", "Status")).Element("span", StatusLabel(delivery.Status), ("class", StatusClass(delivery.Status))).Close("td")
                .Element("td", delivery.Attempts.ToString(CultureInfo.InvariantCulture), ("data-label", "Attempts"))
                .Open("td", ("data-label", "Last answer"));
            if (delivery.LastStatus is null && delivery.LastError is null)
            {
                html.Element("span", "—", ("class", "muted"));
            }
            else
            {
                html.Element("div", delivery.LastStatus is { } code ? $"HTTP {code}" : null)
                    .Element("div", delivery.LastError, ("class", "sub delivery-error"));
            }

            html.Close("td")
                .Open("td", ("data-label", "Created"))
                .Element("time", ConsoleFormat.LocalTimeWithSeconds(delivery.CreatedAt, zone), ("datetime", Rfc3339.FormatFixed(delivery.CreatedAt)), ("class", "nowrap"))
                .Close("td")
                .Open("td", ("data-label", "Finished"));
            if (delivery.CompletedAt is { } completed)
            {
                html.Element("time", ConsoleFormat.LocalTimeWithSeconds(completed, zone), ("datetime", Rfc3339.FormatFixed(completed)), ("class", "nowrap"));
            }
            else
            {
                html.Element("span", "—", ("class", "muted"));
            }

            html.Close("td")
                .Open("td", ("class", "actions-cell"))
                .Open("form", ("method", "post"),
                    ("action", scope.Url($"/console/settings/webhooks/{Uri.EscapeDataString(webhook.Id)}/deliveries/{Uri.EscapeDataString(delivery.Id)}/redeliver")));
            SettingsLayout.WriteAntiforgery(html, scope.Chrome);
            html.Element("button", "Redeliver", ("class", "btn btn-small"), ("type", "submit"))
                .Close("form")
                .Close("td").Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
        return SettingsLayout.EndAsync(html, context, 200);
    }

    private static string StatusLabel(string status) => status switch
    {
        DeliveryStatuses.Succeeded => "Delivered",
        DeliveryStatuses.Failed => "Failed",
        _ => "Pending",
    };

    private static string StatusClass(string status) => status switch
    {
        DeliveryStatuses.Succeeded => "badge badge-success",
        DeliveryStatuses.Failed => "badge badge-failure",
        _ => "badge badge-pending",
    };
}
