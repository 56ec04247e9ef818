using Witness.Checkpoints;

namespace Witness.Server.Witnessing;

/// <summary>
/// A tenant checkpoint's place in the heads log: its entry (base64 SHA-256 of the checkpoint body), leaf index,
/// the heads checkpoint the proof is against (signed note) and the inclusion proof (hex, RFC 6962 order).
/// </summary>
public sealed record HeadsInclusionResponse(string Origin, long Index, string Entry, string LeafHash, long TreeSize, string Checkpoint, IReadOnlyList<string> Proof)
{
    public static HeadsInclusionResponse Of(HeadsInclusion inclusion)
    {
        ArgumentNullException.ThrowIfNull(inclusion);
        return new(inclusion.Origin, inclusion.Index, Convert.ToBase64String(inclusion.Entry), Convert.ToHexStringLower(inclusion.LeafHash),
            inclusion.Checkpoint.Size, inclusion.Checkpoint.Note, [.. inclusion.Proof.Select(Convert.ToHexStringLower)]);
    }
}
