using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Export;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>
/// <c>GET /v1/events/export</c>: a tenant's events as a CSV, JSON, NDJSON or PDF file, with the same
/// filters and errors as the search, streamed from the store in chunks, and recorded in the tenant's
/// log as <c>audit_log.export</c> once the file has been sent.
/// </summary>
internal static class ExportApi
{
    /// <summary>The parameters the export takes: the search's filters, <c>tenant</c> and <c>format</c>.</summary>
    internal static readonly IReadOnlyList<string> Parameters =
        [.. EventsApi.SearchParameters.Where(p => p is not ("limit" or "cursor")), "format"];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/events/export", ExportAsync).RequireAuthorization(Scopes.EventsRead).WithTags("Events")
            .WithSummary("Export the tenant's events matching the filters as a file: format=csv, json, ndjson (verifiable offline) or pdf.")
            .WithDescription("Takes every filter of GET /v1/events and q. Streamed in constant memory; recorded as an audit_log.export event.")
            .WithQueryParameters([new("format", "The file format.", Enum: ["csv", "json", "ndjson", "pdf"], Required: true), .. EventsApi.FilterQueryParameters])
            .WithTenantParameter().ResolvesTenant()
            .Produces(200, contentType: "text/csv").Produces(200, contentType: "application/json").Produces(200, contentType: "application/x-ndjson").Produces(200, contentType: "application/pdf")
            .ProducesProblem(400).ProducesProblem(403);
    }

    private static async Task<IResult> ExportAsync(HttpContext context, TenantScope scope, IWitnessStore store, EventExporter exporter, ReadAuditor auditor)
    {
        var tenant = scope.Tenant;
        if (await TenantAccess.UnknownTenantAsync(context, tenant, store) is { } missing)
        {
            return missing;
        }

        var query = context.Request.Query;
        var unknown = query.Keys.FirstOrDefault(k => !Parameters.Contains(k));
        if (unknown is not null)
        {
            return Problems.Invalid(unknown, $"unknown parameter; the parameters are {string.Join(", ", Parameters)}");
        }

        var writer = exporter.Find(query["format"].ToString());
        if (writer is null)
        {
            return Problems.Invalid("format", $"must be one of {string.Join(", ", exporter.Formats)}");
        }

        var settings = await store.GetSettingsAsync(tenant, context.RequestAborted);
        EventFilter filter;
        try
        {
            filter = EventFilterBinder.FromParameters(name => query.TryGetValue(name, out var v) ? v.ToString() : null, TenantZone.Of(settings));
        }
        catch (SearchSyntaxException ex)
        {
            return Problems.Invalid(EventsApi.FieldOf(ex), ex.Message);
        }

        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in EventFilterBinder.ParameterNames)
        {
            if (query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                filters[name] = value.ToString();
            }
        }

        var source = await exporter.PrepareAsync(tenant, filter, filters, TenantZone.Of(settings), context.RequestAborted);
        return new ExportResult(writer, source, auditor);
    }

    /// <summary>Streams the file, then records the export; a refused export (too large for its format) becomes a problem response.</summary>
    private sealed class ExportResult(IExportWriter writer, ExportSource source, ReadAuditor auditor) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = 200;
            response.ContentType = writer.ContentType;
            response.Headers.ContentDisposition = $"attachment; filename=\"{ExportFileName.For(source.Tenant, source.Period, writer.Extension)}\"";
            response.Headers.CacheControl = "no-store";
            response.Headers.XContentTypeOptions = "nosniff";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            long? rows = null;
            var refused = false;
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                rows = await writer.WriteAsync(source, response.Body, context.RequestAborted);
                Telemetry.ServerMetrics.Exported(writer.Format, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
            catch (ExportTooLargeException ex) when (!response.HasStarted)
            {
                refused = true;
                response.Headers.Remove("Content-Disposition");
                await Problems.Write(context, 400, "Export too large for its format", ex.Message, [new("format", ex.Message)]);
            }
            finally
            {
                if (!refused && (rows is not null || response.HasStarted))
                {
                    // Recorded even when the client went away mid-file: what was sent has left the log.
                    await auditor.RecordExportAsync(source.Tenant, EventsApi.ApiActor(context), RequestContext.Of(context), source.Filters,
                        writer.Format, rows ?? source.Rows, CancellationToken.None);
                }
            }
        }
    }
}
