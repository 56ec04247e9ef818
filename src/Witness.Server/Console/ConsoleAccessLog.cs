using Microsoft.Extensions.Logging;
using Witness.Access;
using Witness.Catalog;
using Witness.Events;
using Witness.Ingest;
using Witness.Server.Auth;

namespace Witness.Server.Console;

/// <summary>
/// Records console sign-ins, sign-outs and failed sign-ins as <c>access</c> events of the user's
/// tenant, with the request's IP and user agent. A platform administrator belongs to no tenant, so
/// their sign-ins go to the server log instead; an unknown email is recorded nowhere, so that
/// anyone's guesses cannot fill a tenant's log.
/// </summary>
internal sealed class ConsoleAccessLog(EventIngestor ingestor, ActionCatalog catalog, TimeProvider clock, ILogger<ConsoleAccessLog> logger)
{
    /// <summary>
    /// A sign-in with an email no user has goes to the server log only (the first few of a throttle
    /// window), as typed: the log formatters escape whatever control characters it holds.
    /// </summary>
    public void UnknownEmail(string email, EventContext context) =>
        logger.LogInformation("Console sign-in failed for unknown email {Email} from {Ip}", email.Length <= 256 ? email : email[..256], context.Ip);

    public async Task RecordAsync(ConsoleUser user, ActionDefinition action, EventContext context, string? reason, CancellationToken ct)
    {
        var failed = action.Action == BuiltInActions.ConsoleSignInFailed.Action;
        if (user.Tenant is null)
        {
            logger.LogInformation("Console {Action} by platform administrator {Email} from {Ip}", action.Action, user.Email, context.Ip);
            return;
        }

        var now = clock.GetUtcNow();
        var e = new AuditEvent
        {
            Id = EventParser.NewId(now),
            Tenant = user.Tenant,
            OccurredAt = EventParser.Truncate(now),
            Type = LogTypes.Access,
            Action = action.Action,
            Actor = ConsoleClaims.Actor(user),
            Outcome = failed ? Outcomes.Failure : Outcomes.Success,
            Reason = reason,
            Context = context,
        };
        e = catalog.Apply(user.Tenant, e, typeWasGiven: true);
        await ingestor.AppendAsync([new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: false)], ct);
    }
}
