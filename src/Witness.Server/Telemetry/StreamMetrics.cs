using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Witness.Ingest;
using Witness.Server.Streams;

namespace Witness.Server.Telemetry;

/// <summary>
/// Log stream delivery on the <c>Witness</c> meter: records sent, events delivered, failed attempts, and each
/// running stream's lag in events and seconds (<see cref="StreamLag"/>), tagged with the stream's kind and id
/// (and the tenant for the lag). Only the instance delivering a stream reports its lag.
/// </summary>
internal static class StreamMetrics
{
    private static readonly Meter Meter = new(IngestMetrics.MeterName);
    private static readonly ConcurrentDictionary<string, StreamLag> Running = new(StringComparer.Ordinal);
    private static readonly Counter<long> Records = Meter.CreateCounter<long>("witness.stream.records", "{event}", "Events sent by log streams (a batch sent again counts again), by kind.");
    private static readonly Counter<long> Delivered = Meter.CreateCounter<long>("witness.stream.delivered", "{event}",
        "Events a log stream's cursor moved past: confirmed by the destination, or left out by the stream's filters; by kind and stream.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("witness.stream.failures", "{attempt}", "Failed log stream attempts (connection, TLS, HTTP status), by kind and stream.");

    static StreamMetrics()
    {
        Meter.CreateObservableGauge("witness.stream.lag.events", () => Observe(l => l.Snapshot().Events), "{event}",
            "Events of the tenant's log a running stream has not delivered yet, by tenant, stream and kind.");
        Meter.CreateObservableGauge("witness.stream.lag.seconds", () => Observe(l => l.Snapshot().Seconds), "s",
            "Seconds since the oldest event a running stream has not delivered yet was received (0 when caught up), by tenant, stream and kind.");
    }

    public static void Sent(string kind, int records) => Records.Add(records, new KeyValuePair<string, object?>("kind", kind));

    public static void Moved(StreamLag lag, long events)
    {
        if (events > 0)
        {
            Delivered.Add(events, new KeyValuePair<string, object?>("kind", lag.Kind), new KeyValuePair<string, object?>("stream", lag.StreamId));
        }
    }

    public static void Failed(StreamLag lag) =>
        Failures.Add(1, new KeyValuePair<string, object?>("kind", lag.Kind), new KeyValuePair<string, object?>("stream", lag.StreamId));

    /// <summary>The stream runs here now: its lag is reported until <see cref="Stopped"/>.</summary>
    public static void Started(StreamLag lag) => Running[lag.StreamId] = lag;

    public static void Stopped(StreamLag lag) => Running.TryRemove(new KeyValuePair<string, StreamLag>(lag.StreamId, lag));

    private static IEnumerable<Measurement<T>> Observe<T>(Func<StreamLag, T> value)
        where T : struct
    {
        foreach (var lag in Running.Values)
        {
            yield return new Measurement<T>(value(lag),
                new KeyValuePair<string, object?>("tenant", lag.Tenant), new KeyValuePair<string, object?>("stream", lag.StreamId), new KeyValuePair<string, object?>("kind", lag.Kind));
        }
    }
}
