namespace Witness.Storage;

/// <summary>What happened to one event of an accepted request.</summary>
public sealed record AppendedEvent(string Tenant, string Id, long Seq, byte[] Hash, byte[] Body, bool Replayed);

/// <summary>
/// The outcome of one request (one event or one batch), all-or-nothing: either every event is in the
/// log (<see cref="Events"/>), or nothing of the request was stored and <see cref="Conflict"/> says why.
/// </summary>
public sealed record AppendResult(IReadOnlyList<AppendedEvent> Events, AppendConflict? Conflict)
{
    public static AppendResult Rejected(AppendConflict conflict) => new([], conflict);
}

/// <summary>An event id already stored with another body: the request is rejected (HTTP 409).</summary>
public sealed record AppendConflict(int Index, string Id, string Message);
