using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Witness.Ingest;

namespace Witness.Server.Telemetry;

/// <summary>The server's instruments on the <c>Witness</c> meter, beside ingest's (<see cref="IngestMetrics"/>).</summary>
internal static class ServerMetrics
{
    private static readonly Meter Meter = new(IngestMetrics.MeterName);
    private static readonly double[] Seconds = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
    private static readonly ConcurrentDictionary<string, DateTimeOffset> CheckpointSignedAt = new(StringComparer.Ordinal);
    private static TimeProvider s_clock = TimeProvider.System;

    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("witness.webhook.deliveries", "{delivery}", "Webhook deliveries finished, by outcome (succeeded, failed).");
    private static readonly Histogram<double> DeliveryLag = Meter.CreateHistogram<double>("witness.webhook.delivery.lag", "s", "From queuing a webhook message to its delivery finishing.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
    private static readonly Histogram<double> VerifyDuration = Meter.CreateHistogram<double>("witness.verify.duration", "s", "Time to verify a tenant's log (GET /v1/verify).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
    private static readonly Histogram<double> ExportDuration = Meter.CreateHistogram<double>("witness.export.duration", "s", "Time to write an export, by format.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
    private static readonly Counter<long> Purged = Meter.CreateCounter<long>("witness.retention.purged", "{event}", "Events removed by retention.");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("witness.requests.rejected", "{request}", "API requests answered 4xx, by reason (the status: bad_request, unauthorized, forbidden, not_found, conflict, too_large, rate_limited, ...).");

    static ServerMetrics() =>
        Meter.CreateObservableGauge("witness.checkpoint.age", ObserveCheckpointAges, "s", "Seconds since this instance last signed a checkpoint of the tenant.");

    /// <summary>The clock checkpoint ages are measured by (the server's).</summary>
    internal static void UseClock(TimeProvider clock) => s_clock = clock;

    internal static void DeliveryFinished(bool succeeded, TimeSpan lag)
    {
        Deliveries.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));
        DeliveryLag.Record(Math.Max(0, lag.TotalSeconds));
    }

    internal static void Verified(TimeSpan took) => VerifyDuration.Record(took.TotalSeconds);

    internal static void Exported(string format, TimeSpan took) => ExportDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("format", format));

    internal static void PurgedEvents(long events) => Purged.Add(events);

    internal static void CheckpointSigned(string tenant, DateTimeOffset at) => CheckpointSignedAt[tenant] = at;

    internal static void RequestRejected(int status) => Rejected.Add(1, new KeyValuePair<string, object?>("reason", Reason(status)));

    internal static string Reason(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "rate_limited",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static IEnumerable<Measurement<double>> ObserveCheckpointAges()
    {
        var now = s_clock.GetUtcNow();
        foreach (var (tenant, at) in CheckpointSignedAt)
        {
            yield return new Measurement<double>((now - at).TotalSeconds, new KeyValuePair<string, object?>("tenant", tenant));
        }
    }
}
