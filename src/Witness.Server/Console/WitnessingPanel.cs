using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Server.Witnessing;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// What Settings › Retention shows of witnessing (<c>WitnessingCard</c>): the status <c>GET /v1/witnessing</c> answers,
/// and whether the workspace's latest signed checkpoint is covered by the heads checkpoint last cosigned by K witnesses.
/// </summary>
public sealed record WitnessingPanel(WitnessingStatus Status, bool Enabled, long? CheckpointSize, bool Covered)
{
    internal static async Task<WitnessingPanel> LoadAsync(string tenant, HeadsCosigner cosigner, CheckpointIssuer issuer, IHeadsLogStore heads, IWitnessStore store, CancellationToken ct)
    {
        var status = await cosigner.StatusAsync(ct);
        var latest = await store.LatestCheckpointAsync(tenant, ct);
        var covered = false;
        if (latest is not null && status.LastWitnessed is { } witnessed
            && await heads.HeadIndexAsync(HeadsLog.EntryOf(new Checkpoint(issuer.OriginOf(tenant), latest.Size, latest.RootHash)), ct) is { } index)
        {
            covered = index < witnessed.Size;
        }

        return new WitnessingPanel(status, cosigner.Enabled, latest?.Size, covered);
    }
}
