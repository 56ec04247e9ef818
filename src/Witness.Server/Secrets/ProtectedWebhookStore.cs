using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Secrets;

/// <summary>
/// The webhook store as the server uses it: secrets are encrypted on their way in and decrypted on
/// their way out (<see cref="SecretProtector"/>), so the rest of the server only ever sees plaintext
/// and the store only ciphertext.
/// </summary>
internal sealed class ProtectedWebhookStore(IWebhookStore inner, SecretProtector protector) : IWebhookStore
{
    public async Task<IReadOnlyList<Webhook>> ListWebhooksAsync(string tenant, CancellationToken ct) =>
        [.. (await inner.ListWebhooksAsync(tenant, ct)).Select(Open)];

    public async Task<Webhook?> FindWebhookAsync(string tenant, string id, CancellationToken ct) =>
        await inner.FindWebhookAsync(tenant, id, ct) is { } webhook ? Open(webhook) : null;

    public Task SaveWebhookAsync(Webhook webhook, CancellationToken ct) =>
        inner.SaveWebhookAsync(webhook with { Secret = protector.Protect(webhook.Secret) }, ct);

    public Task<bool> DeleteWebhookAsync(string tenant, string id, CancellationToken ct) => inner.DeleteWebhookAsync(tenant, id, ct);

    public Task EnqueueDeliveriesAsync(IReadOnlyList<WebhookDelivery> deliveries, CancellationToken ct) => inner.EnqueueDeliveriesAsync(deliveries, ct);

    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct) =>
        inner.ClaimDueDeliveriesAsync(now, leaseUntil, max, ct);

    public Task RecordAttemptAsync(string deliveryId, int attempts, int? lastStatus, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken ct) =>
        inner.RecordAttemptAsync(deliveryId, attempts, lastStatus, lastError, nextAttemptAt, ct);

    public Task CompleteDeliveryAsync(string deliveryId, string status, int attempts, int? lastStatus, string? lastError, DateTimeOffset completedAt, CancellationToken ct) =>
        inner.CompleteDeliveryAsync(deliveryId, status, attempts, lastStatus, lastError, completedAt, ct);

    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string tenant, string webhookId, int limit, CancellationToken ct) =>
        inner.ListDeliveriesAsync(tenant, webhookId, limit, ct);

    public Task<WebhookDelivery?> FindDeliveryAsync(string tenant, string webhookId, string deliveryId, CancellationToken ct) =>
        inner.FindDeliveryAsync(tenant, webhookId, deliveryId, ct);

    /// <summary>Encrypts the secrets stored in plaintext before encryption existed (webhooks of every tenant the store lists); run at start.</summary>
    public async Task ProtectStoredSecretsAsync(IWitnessStore store, CancellationToken ct)
    {
        foreach (var tenant in await store.ListTenantsAsync(ct))
        {
            foreach (var webhook in await inner.ListWebhooksAsync(tenant, ct))
            {
                if (!SecretProtector.IsProtected(webhook.Secret))
                {
                    await SaveWebhookAsync(webhook, ct);
                }
            }
        }
    }

    private Webhook Open(Webhook stored) => stored with { Secret = protector.Unprotect(stored.Secret) };
}
