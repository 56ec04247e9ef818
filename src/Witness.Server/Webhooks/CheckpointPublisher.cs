using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Webhooks;

/// <summary>
/// Sends every newly signed checkpoint to the tenant's webhooks subscribed to <c>checkpoint</c>, so a
/// tenant keeps its own copy of its log's history and can later ask for consistency proofs from it.
/// </summary>
public sealed class CheckpointPublisher(CheckpointIssuer issuer, WebhookDispatcher dispatcher, ILogger<CheckpointPublisher> logger) : IHostedService
{
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
            await dispatcher.DispatchAsync(tenant, WebhookEventTypes.Checkpoint, new JsonObject
            {
                ["origin"] = issuer.OriginOf(tenant),
                ["size"] = checkpoint.Size,
                ["root_hash"] = Convert.ToBase64String(checkpoint.RootHash),
                ["note"] = checkpoint.Note,
                ["created_at"] = Rfc3339.Format(checkpoint.CreatedAt),
            }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Queuing the checkpoint at size {Size} of tenant {Tenant} for webhooks failed", checkpoint.Size, tenant);
        }
    }
}
