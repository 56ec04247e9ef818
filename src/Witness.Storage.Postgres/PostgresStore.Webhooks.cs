using Npgsql;
using NpgsqlTypes;
using Witness.Webhooks;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IWebhookStore
{
    public Task<IReadOnlyList<Webhook>> ListWebhooksAsync(string tenant, CancellationToken ct) =>
        QueryAsync($"SELECT {StoreRows.WebhookColumns} FROM webhooks WHERE tenant = $1 ORDER BY created_at, id", Rows.Webhook, ct, tenant);

    public async Task<Webhook?> FindWebhookAsync(string tenant, string id, CancellationToken ct) =>
        (await QueryAsync($"SELECT {StoreRows.WebhookColumns} FROM webhooks WHERE tenant = $1 AND id = $2", Rows.Webhook, ct, tenant, id)).FirstOrDefault();

    public Task SaveWebhookAsync(Webhook webhook, CancellationToken ct) =>
        NonQueryAsync(
            $"""
            INSERT INTO webhooks ({StoreRows.WebhookColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, event_types = excluded.event_types,
                enabled = excluded.enabled, description = excluded.description, updated_at = excluded.updated_at
            WHERE webhooks.tenant = excluded.tenant
            """,
            ct, webhook.Id, webhook.Tenant, webhook.Url, webhook.Secret, string.Join(' ', webhook.EventTypes), webhook.Enabled,
            Nullable(webhook.Description, NpgsqlDbType.Text), webhook.CreatedAt.UtcDateTime, webhook.UpdatedAt.UtcDateTime);

    public async Task<bool> DeleteWebhookAsync(string tenant, string id, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            WITH hook AS (DELETE FROM webhooks WHERE tenant = $1 AND id = $2 RETURNING id),
                 deliveries AS (DELETE FROM webhook_deliveries WHERE webhook_id IN (SELECT id FROM hook))
            SELECT count(*) FROM hook
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync(ct))! > 0;
    }

    public async Task EnqueueDeliveriesAsync(IReadOnlyList<WebhookDelivery> deliveries, CancellationToken ct)
    {
        if (deliveries.Count == 0)
        {
            return;
        }

        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var d in deliveries)
        {
            await using var command = Command(connection,
                $"INSERT INTO webhook_deliveries ({StoreRows.DeliveryColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                [d.Id, d.WebhookId, d.Tenant, d.MessageId, d.EventType, d.Payload, d.Status, d.Attempts, d.NextAttemptAt.UtcDateTime,
                 Nullable(d.LastStatus, NpgsqlDbType.Integer), Nullable(d.LastError, NpgsqlDbType.Text), d.CreatedAt.UtcDateTime,
                 Nullable(d.CompletedAt?.UtcDateTime, NpgsqlDbType.TimestampTz)]);
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// <c>FOR UPDATE SKIP LOCKED</c>: workers of several instances claiming at once each take
    /// different deliveries instead of waiting for, or taking, the same ones.
    /// </summary>
    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct) =>
        QueryAsync(
            $"""
            UPDATE webhook_deliveries SET next_attempt_at = $1
            WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2
                         ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING {StoreRows.DeliveryColumns}
            """,
            Rows.Delivery, ct, leaseUntil.UtcDateTime, now.UtcDateTime, max);

    public Task RecordAttemptAsync(string deliveryId, int attempts, int? lastStatus, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken ct) =>
        NonQueryAsync(
            "UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4, next_attempt_at = $5 WHERE id = $1 AND status = 'pending'",
            ct, deliveryId, attempts, Nullable(lastStatus, NpgsqlDbType.Integer), Nullable(lastError, NpgsqlDbType.Text), nextAttemptAt.UtcDateTime);

    public Task CompleteDeliveryAsync(string deliveryId, string status, int attempts, int? lastStatus, string? lastError, DateTimeOffset completedAt, CancellationToken ct) =>
        NonQueryAsync(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status = $4, last_error = $5, completed_at = $6 WHERE id = $1",
            ct, deliveryId, status, attempts, Nullable(lastStatus, NpgsqlDbType.Integer), Nullable(lastError, NpgsqlDbType.Text), completedAt.UtcDateTime);

    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string tenant, string webhookId, int limit, CancellationToken ct) =>
        QueryAsync(
            $"SELECT {StoreRows.DeliveryColumns} FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
            Rows.Delivery, ct, tenant, webhookId, limit);

    public async Task<WebhookDelivery?> FindDeliveryAsync(string tenant, string webhookId, string deliveryId, CancellationToken ct) =>
        (await QueryAsync($"SELECT {StoreRows.DeliveryColumns} FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 AND id = $3", Rows.Delivery, ct, tenant, webhookId, deliveryId))
            .FirstOrDefault();
}
