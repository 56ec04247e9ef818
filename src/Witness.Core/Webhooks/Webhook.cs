namespace Witness.Webhooks;

/// <summary>
/// A tenant's webhook endpoint. <see cref="Secret"/> (<c>whsec_&lt;base64&gt;</c>) signs every
/// delivery and is shown to the tenant only when it is set; <see cref="EventTypes"/> says which
/// messages it receives (<see cref="WebhookEventTypes"/>).
/// </summary>
public sealed record Webhook
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required string Url { get; init; }
    public required string Secret { get; init; }
    public required IReadOnlyList<string> EventTypes { get; init; }
    public bool Enabled { get; init; } = true;
    public string? Description { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The messages a webhook can subscribe to.</summary>
public static class WebhookEventTypes
{
    /// <summary>An alert rule fired.</summary>
    public const string AlertFired = "alert.fired";

    /// <summary>A checkpoint of the tenant's log was signed, so the tenant keeps its own copy of the log's history.</summary>
    public const string Checkpoint = "checkpoint";

    public static IReadOnlyList<string> All { get; } = [AlertFired, Checkpoint];
}

/// <summary>
/// One message to one webhook, as queued: retried until it succeeds or its attempts run out. A
/// redelivery is a new delivery of the same <see cref="MessageId"/> (the <c>webhook-id</c> header),
/// so receivers can tell it is the same message.
/// </summary>
public sealed record WebhookDelivery
{
    public required string Id { get; init; }
    public required string WebhookId { get; init; }
    public required string Tenant { get; init; }
    public required string MessageId { get; init; }
    public required string EventType { get; init; }

    /// <summary>The exact bytes posted (and signed).</summary>
    public required byte[] Payload { get; init; }

    /// <summary>One of <see cref="DeliveryStatuses"/>.</summary>
    public string Status { get; init; } = DeliveryStatuses.Pending;

    public int Attempts { get; init; }

    /// <summary>When a pending delivery is next due; while a worker holds it, the end of its lease.</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>The HTTP status of the last attempt, or null when it got no response.</summary>
    public int? LastStatus { get; init; }

    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

public static class DeliveryStatuses
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
