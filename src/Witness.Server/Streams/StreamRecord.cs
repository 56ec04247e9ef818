using Witness.Events;

namespace Witness.Server.Streams;

/// <summary>One event of a tenant's log as a stream delivers it: its seq, stored canonical bytes, leaf hash and the event read from them.</summary>
internal sealed record StreamRecord(long Seq, byte[] Body, byte[] Hash, AuditEvent Event)
{
    public string HashHex => Convert.ToHexStringLower(Hash);
}
