using Witness.Webhooks;

namespace Witness.Storage;

/// <summary>
/// Webhook endpoints and the durable delivery queue. Reads and writes of endpoints and history are
/// scoped by tenant. Claiming is atomic, so several workers (or instances) never send the same
/// delivery at once, and a claim is a lease: a worker that dies leaves its deliveries due again when
/// the lease ends.
/// </summary>
public interface IWebhookStore
{
    /// <summary>The tenant's webhooks, oldest first.</summary>
    Task<IReadOnlyList<Webhook>> ListWebhooksAsync(string tenant, CancellationToken ct);

    Task<Webhook?> FindWebhookAsync(string tenant, string id, CancellationToken ct);

    /// <summary>Inserts the webhook, or replaces the tenant's webhook with the same id.</summary>
    Task SaveWebhookAsync(Webhook webhook, CancellationToken ct);

    /// <summary>Deletes the webhook with its deliveries; false when the tenant has no such webhook.</summary>
    Task<bool> DeleteWebhookAsync(string tenant, string id, CancellationToken ct);

    /// <summary>Queues deliveries (status pending, due at their <see cref="WebhookDelivery.NextAttemptAt"/>), all in one transaction.</summary>
    Task EnqueueDeliveriesAsync(IReadOnlyList<WebhookDelivery> deliveries, CancellationToken ct);

    /// <summary>
    /// Atomically takes up to <paramref name="max"/> pending deliveries due at <paramref name="now"/>,
    /// oldest due first, and moves their <see cref="WebhookDelivery.NextAttemptAt"/> to
    /// <paramref name="leaseUntil"/> so no other worker takes them meanwhile. Returns them as claimed.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct);

    /// <summary>Records a failed attempt of a pending delivery and when it is due again (or until when its worker holds it).</summary>
    Task RecordAttemptAsync(string deliveryId, int attempts, int? lastStatus, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken ct);

    /// <summary>Ends a delivery as <see cref="DeliveryStatuses.Succeeded"/> or <see cref="DeliveryStatuses.Failed"/>.</summary>
    Task CompleteDeliveryAsync(string deliveryId, string status, int attempts, int? lastStatus, string? lastError, DateTimeOffset completedAt, CancellationToken ct);

    /// <summary>The webhook's deliveries, newest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string tenant, string webhookId, int limit, CancellationToken ct);

    Task<WebhookDelivery?> FindDeliveryAsync(string tenant, string webhookId, string deliveryId, CancellationToken ct);
}
