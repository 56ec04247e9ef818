using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Webhooks;

/// <summary>
/// Sends every newly signed checkpoint to the tenant's webhooks subscribed to <c>checkpoint</c>, so a
/// tenant keeps its own copy of its log's history and can later ask for consistency proofs from it.
/// A checkpoint that only adds the failures of earlier checkpoint deliveries to a webhook is not sent
/// to that webhook: otherwise each failure would grow the log, the growth would be signed and sent,
/// and its failure recorded again, once a minute for as long as the address fails.
/// </summary>
internal sealed class CheckpointPublisher(CheckpointIssuer issuer, WebhookDispatcher dispatcher, IWitnessStore store, ILogger<CheckpointPublisher> logger) : IHostedService
{
    /// <summary>How far back from a checkpoint's size the log is read for delivery failures: more than any tenant's checkpoint webhooks.</summary>
    private const int MaxFailureTail = 64;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        issuer.Signed += OnSigned;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        issuer.Signed -= OnSigned;
        return Task.CompletedTask;
    }

    private void OnSigned(string tenant, StoredCheckpoint checkpoint) => _ = PublishAsync(tenant, checkpoint);

    private async Task PublishAsync(string tenant, StoredCheckpoint checkpoint)
    {
        try
        {
            var failing = await FailedWebhooksAtTailAsync(tenant, checkpoint.Size, CancellationToken.None);
            await dispatcher.DispatchAsync(tenant, WebhookEventTypes.Checkpoint, new JsonObject
            {
                ["origin"] = issuer.OriginOf(tenant),
                ["size"] = checkpoint.Size,
                ["root_hash"] = Convert.ToBase64String(checkpoint.RootHash),
                ["note"] = checkpoint.Note,
                ["created_at"] = Rfc3339.FormatFixed(checkpoint.CreatedAt),
            }, CancellationToken.None, except: failing);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Queuing the checkpoint at size {Size} of tenant {Tenant} for webhooks failed", checkpoint.Size, tenant);
        }
    }

    /// <summary>
    /// The webhooks whose failed checkpoint deliveries are recorded in the run of such failures that
    /// ends the log at <paramref name="size"/>: the events before the run were already offered to them.
    /// </summary>
    private async Task<HashSet<string>> FailedWebhooksAtTailAsync(string tenant, long size, CancellationToken ct)
    {
        var webhooks = new HashSet<string>(StringComparer.Ordinal);
        for (var seq = size; seq > 0 && seq > size - MaxFailureTail; seq--)
        {
            var stored = await store.FindBySeqAsync(tenant, seq, ct);
            if (stored is null || FailedCheckpointDelivery(stored.Event) is not { } webhook)
            {
                break;
            }

            webhooks.Add(webhook);
        }

        return webhooks;
    }

    /// <summary>The webhook id when <paramref name="e"/> is Witness's record of a failed checkpoint delivery.</summary>
    internal static string? FailedCheckpointDelivery(AuditEvent e) =>
        e.Type == LogTypes.WebhookFailure
        && e.Action == WebhookDeliveryService.FailureAction
        && e.Actor is { Type: ActorTypes.System } actor && actor.Id == SystemEvents.Witness.Id
        && e.Metadata is { ValueKind: JsonValueKind.Object } metadata
        && metadata.TryGetProperty("event_type", out var type) && type.ValueEquals(WebhookEventTypes.Checkpoint)
        && e.Targets is [{ Type: "webhook" } target]
            ? target.Id
            : null;
}
