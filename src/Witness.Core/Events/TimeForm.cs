namespace Witness.Events;

/// <summary>
/// How an event's own times (<c>received_at</c>, <c>occurred_at</c>) are written in its canonical bytes,
/// which its leaf hash is taken of. Events stored from now on have <see cref="Fixed"/>; events stored by
/// earlier releases keep <see cref="Trimmed"/>, so that their bytes, written again from the parsed event
/// (the offline export verifier, an erasure), hash to what was stored.
/// </summary>
public enum TimeForm
{
    /// <summary>UTC, <c>Z</c>, always six fraction digits: <c>2026-12-05T12:00:00.500000Z</c> (<see cref="Rfc3339.FixedLength"/> bytes).</summary>
    Fixed = 0,

    /// <summary>
    /// The first form: UTC, <c>Z</c>, the fraction's trailing zeros dropped and no fraction at all for a whole
    /// second (<c>2026-12-05T12:00:00.5Z</c>, <c>2026-12-05T12:00:00Z</c>). Also the form of the content digest
    /// (<see cref="CanonicalEvent.ContentDigest"/>), for every event, so that stored digests keep judging retries.
    /// </summary>
    Trimmed = 1,
}
