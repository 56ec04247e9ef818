namespace Witness.Export;

/// <summary>
/// The outcome of checking a verifiable export offline. When <see cref="Ok"/> is false,
/// <see cref="Problem"/> says what is wrong and, when it is about one event, <see cref="Seq"/>,
/// <see cref="EventId"/> and <see cref="Line"/> name it.
/// </summary>
public sealed record ExportVerification(bool Ok, string Tenant, long Events, long CheckpointSize, string? Problem, long? Seq, string? EventId, long? Line)
{
    internal static ExportVerification Good(string tenant, long events, long size) => new(true, tenant, events, size, null, null, null, null);

    internal static ExportVerification Bad(string tenant, long events, long size, string problem, long? seq = null, string? id = null, long? line = null) =>
        new(false, tenant, events, size, problem, seq, id, line);
}
