using Witness.Events;

namespace Witness.Storage;

/// <summary>
/// Takes, from the ingest queue, the requests that arrived after a group was formed and whose tenants
/// all pass <c>held</c>, removing them from the queue in their order; the others stay queued, ahead of
/// anything later. The taken requests join the end of the group.
/// </summary>
public delegate IReadOnlyList<IReadOnlyList<SubmittedEvent>> TakeLateRequests(Func<string, bool> held);

/// <summary>
/// A store whose tenants' logs other writers append to as well (PostgreSQL: several instances on one
/// database), so an append may first wait for a tenant's head that another writer holds. Requests that
/// arrive during that wait would otherwise make a group of their own and wait again; a store like this
/// takes them into the group it is appending once it holds the heads, so that under contention each
/// head is held for fewer, larger commits.
/// </summary>
public interface ISharedLogStore
{
    /// <summary>
    /// Appends as <see cref="IWitnessStore.AppendAsync"/> does, and once the group's heads are held takes
    /// the late requests for those tenants through <paramref name="takeLate"/>. <c>received_at</c> is read
    /// from <paramref name="clock"/> then, so no event is stamped before its request arrived. Returns one
    /// result per request, the given ones first and then the taken ones, in order.
    /// </summary>
    Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, TakeLateRequests takeLate, TimeProvider clock, CancellationToken ct);
}
