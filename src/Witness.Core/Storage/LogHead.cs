using Witness.Integrity;

namespace Witness.Storage;

/// <summary>
/// The head of one tenant's log inside an append transaction: its internal id, its size (the last
/// seq) and the Merkle frontier, from which the next leaf is added in O(log n).
/// </summary>
public sealed class LogHead(long tenantId, string tenant, MerkleFrontier frontier)
{
    public long TenantId { get; } = tenantId;
    public string Tenant { get; } = tenant;
    public MerkleFrontier Frontier { get; private set; } = frontier;
    public long Size => Frontier.Size;

    public LogHead Clone() => new(TenantId, Tenant, Frontier.Clone());
}
