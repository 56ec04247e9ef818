using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Witness.Access;
using Witness.Events;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Stats;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>
/// <c>GET /v1/events/stats</c>: the activity histogram and the summaries of the events a search with the
/// same parameters lists, counted by the store (<see cref="EventStatsService"/>).
/// </summary>
internal static class EventStatsApi
{
    /// <summary>Every parameter of the endpoint: the search's filters plus <c>bucket</c>, <c>top</c> and <c>tenant</c>.</summary>
    internal static readonly IReadOnlyList<string> Parameters = [.. EventFilterBinder.ParameterNames, "bucket", "top", "tenant"];

    public static void Map(RouteGroupBuilder events) =>
        events.MapGet("/stats", StatsAsync).RequireAuthorization(Scopes.EventsRead).WithName("eventStats")
            .WithSummary("Counts of the events a search with the same filters and q lists: per bucket of time in the tenant's zone (failures apart), per type, and the top actors, actions, IPs and failing actions.")
            .WithQueryParameters(
            [
                .. EventsApi.FilterQueryParameters,
                new("bucket", $"The width of a bucket in the tenant's time zone; chosen by the range's length when left out (at most {ActivityBuckets.MaxBuckets} buckets).", Enum: ActivityBuckets.Names),
                new("top", "How many entries each top list has.", JsonSchemaType.Integer, "int32", 0, EventStatsService.MaxTop, EventStatsService.DefaultTop),
            ])
            .WithTenantParameter().ResolvesTenant()
            .Produces<StatsResponse>(200).ProducesProblem(400).ProducesProblem(403);

    private static async Task<IResult> StatsAsync(HttpContext context, TenantScope scope, IWitnessStore store, EventStatsService stats, ReadAuditor auditor)
    {
        var tenant = scope.Tenant;
        var query = context.Request.Query;
        var unknown = query.Keys.FirstOrDefault(k => !Parameters.Contains(k));
        if (unknown is not null)
        {
            return Problems.Invalid(unknown, $"unknown parameter; the parameters are {string.Join(", ", Parameters)}");
        }

        StatsBucket? bucket = null;
        if (query.TryGetValue("bucket", out var bucketText) && !string.IsNullOrWhiteSpace(bucketText))
        {
            if (!ActivityBuckets.TryParse(bucketText.ToString(), out var parsed))
            {
                return Problems.Invalid("bucket", $"must be one of {string.Join(", ", ActivityBuckets.Names)}");
            }

            bucket = parsed;
        }

        var top = EventStatsService.DefaultTop;
        if (query.TryGetValue("top", out var topText) && (!int.TryParse(topText, out top) || top < 0 || top > EventStatsService.MaxTop))
        {
            return Problems.Invalid("top", $"must be a whole number from 0 to {EventStatsService.MaxTop}");
        }

        var settings = await store.GetSettingsAsync(tenant, context.RequestAborted);
        var zone = TenantZone.Of(settings);
        EventStats counted;
        try
        {
            var filter = EventFilterBinder.FromParameters(name => query.TryGetValue(name, out var v) ? v.ToString() : null, zone);
            counted = await stats.CountAsync(tenant, filter, zone, bucket, top, context.RequestAborted);
        }
        catch (SearchSyntaxException ex)
        {
            return Problems.Invalid(EventsApi.FieldOf(ex), ex.Message);
        }
        catch (ArgumentException ex) when (ex.ParamName is "bucket" or "to")
        {
            return Problems.Invalid(ex.ParamName == "to" ? "to" : "bucket", ex.Message.Split(" (Parameter", 2)[0]);
        }

        await auditor.RecordViewAsync(tenant, EventsApi.ApiActor(context), RequestContext.Of(context), context.RequestAborted);
        return Results.Json(StatsResponse.Of(counted, zone.Id), WitnessJson.Api.StatsResponse);
    }
}

/// <summary>The body of <c>GET /v1/events/stats</c>. Times are UTC; buckets start at the zone's wall-clock boundaries and are cut to [from, to).</summary>
internal sealed record StatsResponse(
    string From,
    string To,
    string Bucket,
    string TimeZone,
    long Events,
    long Failures,
    IReadOnlyList<StatsBucketCount> Buckets,
    IReadOnlyList<StatsKeyCount> Types,
    IReadOnlyList<StatsKeyCount> TopActors,
    IReadOnlyList<StatsKeyCount> TopActions,
    IReadOnlyList<StatsKeyCount> TopIps,
    IReadOnlyList<StatsKeyCount> TopFailures)
{
    internal static StatsResponse Of(EventStats s, string zone) => new(
        Rfc3339.FormatFixed(s.From), Rfc3339.FormatFixed(s.To), ActivityBuckets.Name(s.Bucket), zone, s.Events, s.Failures,
        [.. s.Bars.Select(b => new StatsBucketCount(Rfc3339.FormatFixed(b.Start), Rfc3339.FormatFixed(b.End), b.Events, b.Failures))],
        Keys(s.Types), Keys(s.Actors), Keys(s.Actions), Keys(s.Ips), Keys(s.FailedActions));

    private static List<StatsKeyCount> Keys(IReadOnlyList<KeyCount> counts) => [.. counts.Select(c => new StatsKeyCount(c.Value, c.Events, c.Failures))];
}

/// <summary>The events of one bucket, [start, end), and the failures among them.</summary>
internal sealed record StatsBucketCount(string Start, string End, long Events, long Failures);

/// <summary>The events with one value (a type, actor id or email, action, IP address) and the failures among them; <c>top_failures</c> is ordered by failures.</summary>
internal sealed record StatsKeyCount(string Value, long Events, long Failures);
