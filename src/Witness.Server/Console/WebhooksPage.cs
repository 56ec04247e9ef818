using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Server.Console.Components;
using Witness.Webhooks;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Webhooks: the tenant's endpoints (URL, event types, enabled) with their delivery
/// history and a confirmed delete, a form for a new endpoint, and the new endpoint's signing secret,
/// shown once in the answer that created it and never again. Drawn by <see cref="WebhooksView"/>.
/// </summary>
internal static class WebhooksPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<Webhook> webhooks, TimeZoneInfo zone,
        IFormCollection? entered, IReadOnlyList<ValidationError> errors, Webhook? created, string? notice, int status) =>
        ConsoleComponents.RenderAsync<WebhooksView>(context, status, new()
        {
            [nameof(WebhooksView.Scope)] = scope,
            [nameof(WebhooksView.Webhooks)] = webhooks,
            [nameof(WebhooksView.Zone)] = zone,
            [nameof(WebhooksView.Entered)] = entered,
            [nameof(WebhooksView.Errors)] = errors,
            [nameof(WebhooksView.Created)] = created,
            [nameof(WebhooksView.Notice)] = notice,
        });

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
}
