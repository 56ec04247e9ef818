using Witness.Checkpoints;

namespace Witness.Server.Witnessing;

/// <summary>
/// A tenant checkpoint's place in the heads log: its entry (base64 SHA-256 of the checkpoint body), leaf index,
/// the heads checkpoint the proof is against (signed note) and the inclusion proof (hex, RFC 6962 order).
/// </summary>
internal sealed record HeadsInclusionResponse(string Origin, long Index, string Entry, string LeafHash, long TreeSize, string Checkpoint, IReadOnlyList<string> Proof)
{
    /// <summary>When the heads log was last witnessed by the policy's K witnesses; null when no witness is configured or none has cosigned yet.</summary>
    public HeadsWitnessedResponse? Witnessed { get; init; }

    public static HeadsInclusionResponse Of(HeadsInclusion inclusion, HeadsWitnessed? witnessed = null)
    {
        ArgumentNullException.ThrowIfNull(inclusion);
        return new(inclusion.Origin, inclusion.Index, Convert.ToBase64String(inclusion.Entry), Convert.ToHexStringLower(inclusion.LeafHash),
            inclusion.Checkpoint.Size, inclusion.Checkpoint.Note, [.. inclusion.Proof.Select(Convert.ToHexStringLower)])
        {
            Witnessed = witnessed is null ? null : new HeadsWitnessedResponse(
                witnessed.Checkpoint.Size, witnessed.Checkpoint.Witnesses, witnessed.Policy, witnessed.Checkpoint.At, witnessed.Checkpoint.Note,
                witnessed.Proof is not null, witnessed.Proof?.Select(Convert.ToHexStringLower).ToList()),
        };
    }
}

/// <summary>
/// The latest heads checkpoint cosigned by <paramref name="Policy"/> witnesses: its size, how many cosigned it, when
/// it reached them, the cosigned note, whether it covers this tenant checkpoint, and if so the inclusion proof of the
/// entry in it (hex, RFC 6962 order), so a client keeping only cosigned heads checkpoints can check its checkpoint.
/// </summary>
internal sealed record HeadsWitnessedResponse(long TreeSize, int Witnesses, int Policy, DateTimeOffset At, string Checkpoint, bool IncludesThisCheckpoint, IReadOnlyList<string>? Proof);
