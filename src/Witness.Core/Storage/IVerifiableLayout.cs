namespace Witness.Storage;

/// <summary>
/// What a store keeps for a tenant beyond the log rows and the target index, which the chain
/// verifier checks too: how many event rows carry the tenant's id (a row planted outside the
/// tenant's log would otherwise be found by searches but never verified), and the actor-email pairs
/// an email search is driven by (a pair removed would hide that email's events from searches).
/// </summary>
public interface IVerifiableLayout
{
    Task<long> CountEventRowsAsync(string tenant, CancellationToken ct);

    /// <summary>The distinct (email, actor id) pairs kept for email search; the actor id is "" for events that have none.</summary>
    IAsyncEnumerable<(string Email, string ActorId)> ReadActorEmailsAsync(string tenant, CancellationToken ct);
}
