using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Witness.Ingest;
using Witness.Server.Witnessing;

namespace Witness.Server.Telemetry;

/// <summary>
/// Witnessing on the <c>Witness</c> meter, one series per heads log origin, from each running cosigner's last status
/// (refreshed every round, at least every <see cref="WitnessingOptions.RetryInterval"/>): whether the heads log is
/// behind (1) or not (0), how long its oldest unwitnessed checkpoint has waited, its size and the size witnessed by K.
/// </summary>
internal static class WitnessingMetrics
{
    private static readonly Meter Meter = new(IngestMetrics.MeterName);
    private static readonly ConcurrentDictionary<HeadsCosigner, TimeProvider> Cosigners = new();

    static WitnessingMetrics()
    {
        Meter.CreateObservableGauge("witness.witnessing.behind", () => Observe((c, s, now) => c.IsBehind(s, now) ? 1L : 0L), "{boolean}",
            "1 when the heads log's latest checkpoints waited longer than the alert threshold for the policy's cosignatures, or witnesses refused it; else 0.");
        Meter.CreateObservableGauge("witness.witnessing.lag", () => Observe((_, s, now) => HeadsCosigner.Lag(s, now).TotalSeconds), "s",
            "How long the oldest heads checkpoint not yet cosigned by the policy's witnesses has waited; 0 when all are.");
        Meter.CreateObservableGauge("witness.witnessing.size", () => Observe((_, s, _) => s.Size), "{checkpoint}", "The size of the heads log.");
        Meter.CreateObservableGauge("witness.witnessing.witnessed_size", () => Observe((_, s, _) => s.WitnessedSize), "{checkpoint}",
            "The size of the latest heads checkpoint cosigned by the policy's witnesses.");
    }

    public static void Watch(HeadsCosigner cosigner, TimeProvider clock) => Cosigners[cosigner] = clock;

    public static void Unwatch(HeadsCosigner cosigner) => Cosigners.TryRemove(cosigner, out _);

    private static IEnumerable<Measurement<T>> Observe<T>(Func<HeadsCosigner, WitnessingSnapshot, DateTimeOffset, T> value)
        where T : struct
    {
        foreach (var (cosigner, clock) in Cosigners)
        {
            if (cosigner.Snapshot is { } snapshot)
            {
                yield return new Measurement<T>(value(cosigner, snapshot, clock.GetUtcNow()), new KeyValuePair<string, object?>("origin", cosigner.Origin));
            }
        }
    }
}
