using System.Diagnostics.Metrics;
using Witness.Ingest;

namespace Witness.Server.Telemetry;

/// <summary>Log stream delivery on the <c>Witness</c> meter: records sent and failed attempts, by stream kind.</summary>
internal static class StreamMetrics
{
    private static readonly Meter Meter = new(IngestMetrics.MeterName);
    private static readonly Counter<long> Records = Meter.CreateCounter<long>("witness.stream.records", "{event}", "Events sent by log streams (a batch sent again counts again), by kind.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("witness.stream.failures", "{attempt}", "Failed log stream attempts (connection, TLS, HTTP status), by kind.");

    public static void Sent(string kind, int records) => Records.Add(records, new KeyValuePair<string, object?>("kind", kind));

    public static void Failed(string kind) => Failures.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
