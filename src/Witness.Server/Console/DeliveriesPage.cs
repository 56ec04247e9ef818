using Microsoft.AspNetCore.Http;
using Witness.Server.Console.Components;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Webhooks › Deliveries: one endpoint's deliveries, newest first, with status, attempts,
/// the last answer or error and times, and a Redeliver button that queues the message again.
/// Drawn by <see cref="DeliveriesView"/>.
/// </summary>
internal static class DeliveriesPage
{
    public const int Shown = 100;

    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, Webhook webhook, IReadOnlyList<WebhookDelivery> deliveries, TimeZoneInfo zone, string? notice) =>
        ConsoleComponents.RenderAsync<DeliveriesView>(context, 200, new()
        {
            [nameof(DeliveriesView.Scope)] = scope,
            [nameof(DeliveriesView.Webhook)] = webhook,
            [nameof(DeliveriesView.Deliveries)] = deliveries,
            [nameof(DeliveriesView.Zone)] = zone,
            [nameof(DeliveriesView.Notice)] = notice,
        });
}
