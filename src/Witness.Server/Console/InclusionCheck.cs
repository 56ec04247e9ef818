using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The "verified" mark of an event's details: its stored bytes hash to its leaf hash, and its
/// inclusion proof leads from that hash to the root of the tenant's latest checkpoint, whose
/// signature by this server's key verifies. Any failure is shown, never hidden.
/// </summary>
public sealed record InclusionCheck(bool Verified, long? TreeSize, string Detail)
{
    internal static async Task<InclusionCheck> RunAsync(string tenant, StoredEvent stored, IWitnessStore store, CheckpointIssuer issuer, CancellationToken ct)
    {
        if (stored.LeafBytes() is not { } leafBytes || !MerkleHash.Leaf(leafBytes).AsSpan().SequenceEqual(stored.Hash))
        {
            return new(false, null, "The event's stored content does not match its hash.");
        }

        var latest = await issuer.IssueAsync(tenant, ct);
        if (latest is null)
        {
            return new(false, null, "The tenant's log has no signed checkpoint yet.");
        }

        if (!CheckpointSigner.TryVerify(latest.Note, issuer.Key.KeyName, issuer.Key.Key, out var checkpoint)
            || checkpoint!.Origin != issuer.OriginOf(tenant)
            || checkpoint.Size < stored.Seq)
        {
            return new(false, null, "The latest checkpoint's signature does not verify with this server's key.");
        }

        var proof = await MerkleProofs.InclusionAsync(stored.Seq - 1, checkpoint.Size, store.Nodes(tenant), ct);
        return MerkleVerifier.VerifyInclusion(stored.Hash, stored.Seq - 1, checkpoint.Size, proof, checkpoint.RootHash)
            ? new(true, checkpoint.Size, $"Included in the signed checkpoint of {checkpoint.Size:N0} events (proof of {proof.Length} hashes).")
            : new(false, checkpoint.Size, "The inclusion proof does not lead to the signed checkpoint's root.");
    }
}
