using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Search;
using Witness.Storage;

namespace Witness.Export;

/// <summary>
/// Starts exports for the API and the CLI alike: signs a checkpoint of the tenant's log first (so the
/// export is a fixed snapshot that every exported event is proven against), works out the period the
/// file is named after, and finds the writer of a format.
/// </summary>
public sealed class EventExporter(IWitnessStore store, CheckpointIssuer issuer, TimeProvider clock, IEnumerable<IExportWriter> writers)
{
    private readonly IReadOnlyList<IExportWriter> _writers = [.. writers];

    /// <summary>The format names, in the order they are offered.</summary>
    public IReadOnlyList<string> Formats => [.. _writers.Select(w => w.Format)];

    /// <summary>The writer of <paramref name="format"/> (case-insensitive), or null when there is none.</summary>
    public IExportWriter? Find(string? format) =>
        _writers.FirstOrDefault(w => string.Equals(w.Format, format, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Issues the checkpoint and describes the export of <paramref name="tenant"/>'s events matching
    /// <paramref name="filter"/>, with times shown in <paramref name="zone"/>; reads no events yet.
    /// <paramref name="filters"/> are the filters as given, by parameter name, for the file and the audit event.
    /// </summary>
    public async Task<ExportSource> PrepareAsync(string tenant, EventFilter filter, IReadOnlyDictionary<string, string> filters, TimeZoneInfo zone, CancellationToken ct)
    {
        var checkpoint = await issuer.IssueAsync(tenant, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var period = await PeriodAsync(tenant, filter, zone, now, ct).ConfigureAwait(false);
        return new ExportSource(store, tenant, filter, filters, zone, checkpoint, issuer.OriginOf(tenant), period, now, issuer.Key);
    }

    /// <summary>The days of the filter; where it leaves a side open, the days of the data (today when there is none).</summary>
    private async Task<ExportPeriod> PeriodAsync(string tenant, EventFilter filter, TimeZoneInfo zone, DateTimeOffset now, CancellationToken ct)
    {
        (DateTimeOffset Oldest, DateTimeOffset Newest)? data = null;
        if ((filter.From is null || filter.To is null) && store is IEventTimeRange range)
        {
            data = await range.GetTimeRangeAsync(tenant, ct).ConfigureAwait(false);
        }

        var from = filter.From ?? data?.Oldest ?? now;
        // 'to' is exclusive: the last day covered is the one holding the instant just before it.
        var to = filter.To is { } end ? end.AddTicks(-1) : data?.Newest ?? now;
        return new ExportPeriod(Day(from, zone), Day(to < from ? from : to, zone));
    }

    private static DateOnly Day(DateTimeOffset time, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, zone).DateTime);
}
