namespace Witness.Server.Streams;

/// <summary>
/// Where a stream's records go. <see cref="SendAsync"/> sends a batch and answers the highest seq whose
/// delivery is confirmed so far (HTTP: the batch's, once the receiver answered 2xx; syslog: the batches
/// written long enough ago on a connection still open). Any failure throws; the worker then disposes the
/// destination and sends again from the last confirmed seq.
/// </summary>
internal interface IStreamDestination : IAsyncDisposable
{
    Task<long> SendAsync(StreamBatch batch, CancellationToken ct);

    /// <summary>Confirms what was sent without sending more; throws when the connection broke.</summary>
    Task<long> ConfirmAsync(CancellationToken ct);
}

/// <summary>The records of a batch (those the stream's filters let through) and the last seq read for it, filtered or not.</summary>
internal sealed record StreamBatch(IReadOnlyList<StreamRecord> Records, long ThroughSeq);
