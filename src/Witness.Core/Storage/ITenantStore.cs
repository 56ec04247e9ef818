namespace Witness.Storage;

/// <summary>
/// Removing a whole tenant, for the operator (<c>witness tenants delete</c>, <c>DELETE /v1/tenants/{tenant}</c>).
/// </summary>
public interface ITenantStore
{
    /// <summary>
    /// Deletes everything the store keeps of <paramref name="tenant"/> in one transaction: its log
    /// (events, targets, hashes, checkpoints, retention state), API keys bound to it, console users,
    /// settings, catalog entries, alert rules and webhooks with their deliveries. Null when the store
    /// knows nothing of the tenant. Instances that cached the tenant see a tenant created again under
    /// the same name after their next start.
    /// </summary>
    Task<TenantDeletion?> DeleteTenantAsync(string tenant, CancellationToken ct);
}

/// <summary>What a tenant deletion removed: the size of its log and how many keys and users it had.</summary>
public sealed record TenantDeletion(long Events, int ApiKeys, int Users);
