using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Witness.Client;

/// <summary>
/// One audit event as Witness takes and returns it (docs/events.md). Only <see cref="Action"/> is required, and
/// <see cref="Tenant"/> unless the API key is bound to one. <see cref="Id"/> makes a send idempotent: the
/// client and the background sender fill it in when it is empty, so a retried send is stored once.
/// The server fills <see cref="Seq"/>, <see cref="ReceivedAt"/>, <see cref="Hash"/> and, when empty, <see cref="Description"/>.
/// </summary>
public sealed class AuditEvent
{
    /// <summary>The idempotency id, at most 128 characters.</summary>
    public string? Id { get; set; }

    public string? Tenant { get; set; }

    /// <summary><c>activity</c> (the default), <c>access</c>, <c>webhook_failure</c> or <c>integration_failure</c>.</summary>
    public string? Type { get; set; }

    /// <summary>1–128 characters of <c>[a-z0-9_.:-]</c>, such as <c>inbox.create</c>.</summary>
    public string Action { get; set; } = "";

    public string? Category { get; set; }

    public DateTimeOffset? OccurredAt { get; set; }

    /// <summary>Who did it; none means the system.</summary>
    public AuditActor? Actor { get; set; }

    public IList<AuditTarget>? Targets { get; set; }

    /// <summary><c>success</c> or <c>failure</c>.</summary>
    public string? Outcome { get; set; }

    /// <summary>Why a failure failed.</summary>
    public string? Reason { get; set; }

    public AuditContext? Context { get; set; }

    public AuditChanges? Changes { get; set; }

    public JsonObject? Metadata { get; set; }

    public string? Description { get; set; }

    /// <summary>Set by the server: the event's position in its tenant's log, from 1.</summary>
    public long? Seq { get; set; }

    /// <summary>Set by the server.</summary>
    public DateTimeOffset? ReceivedAt { get; set; }

    /// <summary>Set by the server: the event's leaf hash (hex), what an inclusion proof proves.</summary>
    public string? Hash { get; set; }
}

/// <summary>Who did it. <see cref="Type"/> is <c>user</c>, <c>system</c>, <c>api_key</c> or <c>service</c>.</summary>
public sealed class AuditActor
{
    public string? Type { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Email { get; set; }

    public string? Role { get; set; }
}

/// <summary>What it was done to. The first target is what templates call <c>target</c>.</summary>
public sealed class AuditTarget
{
    public string? Type { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Url { get; set; }
}

/// <summary>Where and how it was done.</summary>
public sealed class AuditContext
{
    public string? Ip { get; set; }

    public string? UserAgent { get; set; }

    public JsonObject? Location { get; set; }

    public string? Source { get; set; }

    public string? Brand { get; set; }

    public string? SessionId { get; set; }

    public string? RequestId { get; set; }
}

/// <summary>Values before and after a change; only what changed.</summary>
public sealed class AuditChanges
{
    public JsonObject? Before { get; set; }

    public JsonObject? After { get; set; }
}

/// <summary>What Witness answered for one sent event.</summary>
/// <param name="Id">The event's id.</param>
/// <param name="Seq">Its position in the tenant's log.</param>
/// <param name="Hash">Its leaf hash (hex).</param>
/// <param name="Status"><c>created</c>, or <c>existing</c> when an earlier send had stored it already; null when the server does not say.</param>
public sealed record SentEvent(string Id, long Seq, string? Hash, string? Status);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditEvent))]
[JsonSerializable(typeof(List<AuditEvent>))]
[JsonSerializable(typeof(EventBatch))]
[JsonSerializable(typeof(EventPage))]
[JsonSerializable(typeof(InclusionProof))]
[JsonSerializable(typeof(SignedCheckpoint))]
[JsonSerializable(typeof(ConsistencyProof))]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ClientJson : JsonSerializerContext;

internal sealed record EventBatch(IList<AuditEvent> Events);

internal sealed record EventPage(IList<AuditEvent> Events, string? NextCursor);

internal sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, string? Instance, IList<FieldProblem>? Errors);
