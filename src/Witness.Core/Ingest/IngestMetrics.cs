using System.Diagnostics.Metrics;

namespace Witness.Ingest;

/// <summary>
/// The ingest pipeline's instruments on the <c>Witness</c> meter (System.Diagnostics.Metrics, no exporter
/// here): events appended, each group commit's size and latency, and the events waiting for their commit.
/// </summary>
public static class IngestMetrics
{
    /// <summary>The meter every Witness instrument is on; the server exports it (OpenTelemetry, <c>/metrics</c>).</summary>
    public const string MeterName = "Witness";

    private static readonly Meter Meter = new(MeterName);
    private static long s_waiting;

    private static readonly Counter<long> Ingested = Meter.CreateCounter<long>("witness.events.ingested", "{event}", "Events appended to a log (repeats of a stored id not counted).");
    private static readonly Histogram<long> GroupSize = Meter.CreateHistogram<long>("witness.ingest.group.size", "{event}", "Events in one group commit.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 100, 500, 1000, 2500, 5000, 10000] });
    private static readonly Histogram<double> GroupLatency = Meter.CreateHistogram<double>("witness.ingest.group.duration", "s", "Time of one group commit, durable commit included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    static IngestMetrics() =>
        Meter.CreateObservableGauge("witness.ingest.queue.depth", () => Interlocked.Read(ref s_waiting), "{event}", "Events accepted for ingest and not yet committed.");

    internal static void Waiting(long delta) => Interlocked.Add(ref s_waiting, delta);

    internal static void Committed(int events, int appended, TimeSpan took)
    {
        GroupSize.Record(events);
        GroupLatency.Record(took.TotalSeconds);
        Ingested.Add(appended);
    }
}
