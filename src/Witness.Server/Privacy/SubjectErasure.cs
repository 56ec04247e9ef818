using System.Text.Json;
using Witness.Catalog;
using Witness.Events;
using Witness.Privacy;
using Witness.Server.Auditing;
using Witness.Storage;

namespace Witness.Server.Privacy;

/// <summary>
/// Erasing a subject's personal values in a tenant (docs/erasure.md), for <c>POST /v1/subjects/erase</c> and
/// <c>witness erase</c>: checks the request, erases through the store, and records a <c>privacy.erase</c>
/// event that says how the subject was named and how many events were touched, never the erased value.
/// </summary>
internal sealed class SubjectErasure(IWitnessStore store, SystemEvents events)
{
    /// <summary>The request's fields, as the API spells them.</summary>
    public static readonly string[] Fields = ["email", "actor_id"];

    /// <summary>The subject named by exactly one of <paramref name="email"/> and <paramref name="actorId"/>, or what is wrong, field by field.</summary>
    public static (ErasureSubject? Subject, IReadOnlyList<ValidationError> Errors) Check(string? email, string? actorId)
    {
        if (email is null == actorId is null)
        {
            return (null, [new ValidationError(email is null ? "email" : "actor_id", "give exactly one of email and actor_id")]);
        }

        if (email is not null)
        {
            var at = email.IndexOf('@', StringComparison.Ordinal);
            return at > 0 && at < email.Length - 1 && email.Length <= 320 && !email.Any(char.IsWhiteSpace)
                ? (ErasureSubject.ByEmail(email), [])
                : (null, [new ValidationError("email", "is not an email address")]);
        }

        return actorId!.Length is >= 1 and <= 256
            ? (ErasureSubject.ByActorId(actorId), [])
            : (null, [new ValidationError("actor_id", "must be 1–256 characters")]);
    }

    /// <summary>Erases the subject's personal values and records the erasure; returns what was touched and the seq of the record.</summary>
    public async Task<(ErasureCount Count, long? RecordSeq)> EraseAsync(string tenant, ErasureSubject subject, EventActor actor, EventContext? context, CancellationToken ct)
    {
        var personal = store as IPersonalDataStore ?? throw new InvalidOperationException($"the {store.Kind} store cannot erase personal values");
        var count = await personal.EraseSubjectAsync(tenant, subject, ct);
        var recorded = await events.RecordAsync(new AuditEvent
        {
            Id = "",
            Tenant = tenant,
            OccurredAt = default,
            Type = LogTypes.Activity,
            Action = BuiltInActions.PrivacyErase.Action,
            Category = BuiltInActions.Category,
            Actor = actor,
            Context = context,
            Outcome = Outcomes.Success,
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["subject"] = subject.Kind,
                ["events"] = count.Events,
                ["kept_version_1"] = count.Kept,
            }),
        }, idempotent: false, ct);
        return (count, recorded?.Seq);
    }
}
