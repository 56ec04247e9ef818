using System.Text.Json.Nodes;
using Witness.Events;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Webhooks;

/// <summary>
/// Queues a message for every enabled webhook of a tenant subscribed to its type. The payload is
/// Standard Webhooks' shape: <c>{"type", "timestamp", "data"}</c>; the bytes queued are the bytes
/// signed and posted.
/// </summary>
internal sealed class WebhookDispatcher(IWebhookStore store, TimeProvider clock)
{
    /// <summary>Raised after deliveries were queued, so the worker starts at once.</summary>
    public event Action? Queued;

    /// <summary>
    /// Queues the message for every webhook that wants it but those in <paramref name="except"/>;
    /// returns how many deliveries it made (0 when no webhook wants it).
    /// </summary>
    public async Task<int> DispatchAsync(string tenant, string eventType, JsonObject data, CancellationToken ct, IReadOnlySet<string>? except = null)
    {
        var webhooks = (await store.ListWebhooksAsync(tenant, ct))
            .Where(w => w.Enabled && w.EventTypes.Contains(eventType) && except?.Contains(w.Id) != true).ToList();
        if (webhooks.Count == 0)
        {
            return 0;
        }

        var now = clock.GetUtcNow();
        var payload = new JsonObject
        {
            ["type"] = eventType,
            ["timestamp"] = Rfc3339.FormatFixed(now),
            ["data"] = data,
        };
        var bytes = System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString());
        var deliveries = webhooks.Select(w => new WebhookDelivery
        {
            Id = NewId("dlv_", now),
            WebhookId = w.Id,
            Tenant = tenant,
            MessageId = NewId("msg_", now),
            EventType = eventType,
            Payload = bytes,
            NextAttemptAt = now,
            CreatedAt = now,
        }).ToList();
        await store.EnqueueDeliveriesAsync(deliveries, ct);
        Queued?.Invoke();
        return deliveries.Count;
    }

    /// <summary>Queues the message of an earlier delivery again: a new delivery with the same message id and payload.</summary>
    public async Task<WebhookDelivery> RedeliverAsync(WebhookDelivery earlier, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var again = earlier with
        {
            Id = NewId("dlv_", now),
            Status = DeliveryStatuses.Pending,
            Attempts = 0,
            NextAttemptAt = now,
            LastStatus = null,
            LastError = null,
            CreatedAt = now,
            CompletedAt = null,
        };
        await store.EnqueueDeliveriesAsync([again], ct);
        Queued?.Invoke();
        return again;
    }

    internal static string NewId(string prefix, DateTimeOffset now) => prefix + Guid.CreateVersion7(now).ToString("N");
}
