using Witness.Streams;

namespace Witness.Storage;

/// <summary>
/// Log streams, their durable cursors and the lease that lets one instance at a time deliver a
/// stream. Definitions are read and written per tenant; the delivery worker reads across tenants.
/// Progress is saved only by the lease's holder, so an instance that lost its lease cannot move a
/// cursor another instance now owns.
/// </summary>
public interface IStreamStore
{
    /// <summary>The tenant's streams, oldest first, with their progress.</summary>
    Task<IReadOnlyList<LogStream>> ListStreamsAsync(string tenant, CancellationToken ct);

    /// <summary>Every stream of every tenant that is not paused.</summary>
    Task<IReadOnlyList<LogStream>> ListActiveStreamsAsync(CancellationToken ct);

    Task<LogStream?> FindStreamAsync(string tenant, string id, CancellationToken ct);

    /// <summary>Inserts a new stream whose cursor starts at <see cref="StreamProgress.DeliveredSeq"/> of its progress.</summary>
    Task CreateStreamAsync(LogStream stream, CancellationToken ct);

    /// <summary>Replaces the definition (name, url, format, secret, TLS, filters, paused) of the tenant's stream; the cursor and lease stay. False when there is none.</summary>
    Task<bool> UpdateStreamAsync(LogStream stream, CancellationToken ct);

    /// <summary>Deletes the stream with its cursor; false when the tenant has no such stream.</summary>
    Task<bool> DeleteStreamAsync(string tenant, string id, CancellationToken ct);

    /// <summary>
    /// Takes or renews the stream's lease for <paramref name="owner"/> until <paramref name="until"/>:
    /// true when no one holds it, the owner already does, or the holder's lease ended before
    /// <paramref name="now"/>. Atomic across instances.
    /// </summary>
    Task<bool> TryLeaseStreamAsync(string id, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>Gives the lease up, when <paramref name="owner"/> holds it.</summary>
    Task ReleaseStreamLeaseAsync(string id, string owner, CancellationToken ct);

    /// <summary>Up to <paramref name="max"/> of the tenant's events after <paramref name="afterSeq"/>, in seq order (purged events are skipped).</summary>
    Task<IReadOnlyList<StoredEvent>> ReadEventsAfterAsync(string tenant, long afterSeq, int max, CancellationToken ct);

    /// <summary>Saves the stream's progress when <paramref name="owner"/> holds its lease; false otherwise (nothing saved).</summary>
    Task<bool> SaveStreamProgressAsync(string id, string owner, StreamProgress progress, CancellationToken ct);
}
