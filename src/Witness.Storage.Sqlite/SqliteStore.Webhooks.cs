using Microsoft.Data.Sqlite;
using Witness.Webhooks;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IWebhookStore
{
    public Task<IReadOnlyList<Webhook>> ListWebhooksAsync(string tenant, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Webhook>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {StoreRows.WebhookColumns} FROM webhooks WHERE tenant = $p0 ORDER BY created_at, id", Rows.Webhook, ct, tenant), ct);

    public Task<Webhook?> FindWebhookAsync(string tenant, string id, CancellationToken ct) =>
        ReadAsync(async connection =>
            await QueryRowAsync(connection, null, $"SELECT {StoreRows.WebhookColumns} FROM webhooks WHERE tenant = $p0 AND id = $p1", Rows.Webhook, ct, tenant, id), ct);

    public Task SaveWebhookAsync(Webhook webhook, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                $"""
                INSERT INTO webhooks ({StoreRows.WebhookColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8)
                ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, event_types = excluded.event_types,
                    enabled = excluded.enabled, description = excluded.description, updated_at = excluded.updated_at
                WHERE webhooks.tenant = excluded.tenant
                """,
                ct, webhook.Id, webhook.Tenant, webhook.Url, webhook.Secret, string.Join(' ', webhook.EventTypes), webhook.Enabled,
                (object?)webhook.Description ?? DBNull.Value, webhook.CreatedAt.ToUnixTimeMilliseconds(), webhook.UpdatedAt.ToUnixTimeMilliseconds());
            return 0;
        }, ct);

    public Task<bool> DeleteWebhookAsync(string tenant, string id, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var delete = Prepare(connection, tx, "DELETE FROM webhooks WHERE tenant = $p0 AND id = $p1", [tenant, id]);
            var deleted = await delete.ExecuteNonQueryAsync(ct) > 0;
            if (deleted)
            {
                await ExecuteAsync(connection, tx, "DELETE FROM webhook_deliveries WHERE webhook_id = $p0", ct, id);
            }

            await tx.CommitAsync(ct);
            return deleted;
        }, ct);

    public Task EnqueueDeliveriesAsync(IReadOnlyList<WebhookDelivery> deliveries, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            foreach (var d in deliveries)
            {
                await ExecuteAsync(connection, tx,
                    $"INSERT INTO webhook_deliveries ({StoreRows.DeliveryColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12)",
                    ct, d.Id, d.WebhookId, d.Tenant, d.MessageId, d.EventType, d.Payload, d.Status, d.Attempts, d.NextAttemptAt.ToUnixTimeMilliseconds(),
                    (object?)d.LastStatus ?? DBNull.Value, (object?)d.LastError ?? DBNull.Value, d.CreatedAt.ToUnixTimeMilliseconds(),
                    (object?)d.CompletedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            }

            await tx.CommitAsync(ct);
            return 0;
        }, ct);

    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<WebhookDelivery>>(async connection =>
            await QueryListAsync(connection, null,
                $"""
                UPDATE webhook_deliveries SET next_attempt_at = $p0
                WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $p1 ORDER BY next_attempt_at LIMIT $p2)
                RETURNING {StoreRows.DeliveryColumns}
                """,
                Rows.Delivery, ct, leaseUntil.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), max), ct);

    public Task RecordAttemptAsync(string deliveryId, int attempts, int? lastStatus, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                "UPDATE webhook_deliveries SET attempts = $p1, last_status = $p2, last_error = $p3, next_attempt_at = $p4 WHERE id = $p0 AND status = 'pending'",
                ct, deliveryId, attempts, (object?)lastStatus ?? DBNull.Value, (object?)lastError ?? DBNull.Value, nextAttemptAt.ToUnixTimeMilliseconds());
            return 0;
        }, ct);

    public Task CompleteDeliveryAsync(string deliveryId, string status, int attempts, int? lastStatus, string? lastError, DateTimeOffset completedAt, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                "UPDATE webhook_deliveries SET status = $p1, attempts = $p2, last_status = $p3, last_error = $p4, completed_at = $p5 WHERE id = $p0",
                ct, deliveryId, status, attempts, (object?)lastStatus ?? DBNull.Value, (object?)lastError ?? DBNull.Value, completedAt.ToUnixTimeMilliseconds());
            return 0;
        }, ct);

    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string tenant, string webhookId, int limit, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<WebhookDelivery>>(async connection =>
            await QueryListAsync(connection, null,
                $"SELECT {StoreRows.DeliveryColumns} FROM webhook_deliveries WHERE tenant = $p0 AND webhook_id = $p1 ORDER BY created_at DESC, id DESC LIMIT $p2",
                Rows.Delivery, ct, tenant, webhookId, limit), ct);

    public Task<WebhookDelivery?> FindDeliveryAsync(string tenant, string webhookId, string deliveryId, CancellationToken ct) =>
        ReadAsync(async connection =>
            await QueryRowAsync(connection, null,
                $"SELECT {StoreRows.DeliveryColumns} FROM webhook_deliveries WHERE tenant = $p0 AND webhook_id = $p1 AND id = $p2", Rows.Delivery, ct, tenant, webhookId, deliveryId), ct);
}
