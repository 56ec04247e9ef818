using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Events;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;
using Witness.Checkpoints;
using Microsoft.OpenApi;
using Witness.Server.OpenApi;

namespace Witness.Server.Apis;

/// <summary>Sending, searching and reading events: <c>/v1/events</c>.</summary>
internal static class EventsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        var events = app.MapGroup("/v1/events").WithTags("Events");
        events.MapPost("", PostAsync).RequireAuthorization(Scopes.EventsWrite).WithName("sendEvents")
            .WithSummary("Send one event, or a batch {\"events\":[…]} of up to 1,000; all-or-nothing.")
            .WithDescription("Answers `{\"events\":[{\"id\",\"seq\",\"hash\",\"status\"}]}` in the order sent, `status` `created` or `existing` (the same id with the same body was already stored): 201 when anything was created, 200 when nothing was. The same id with another body is a 409 and stores nothing.")
            .AcceptsSchema("One event, or {\"events\":[…]} with up to 1,000 events and 8 MiB.", ["EventInput", "EventBatch"], EventExamples.Input)
            .Produces<AppendResponse>(201).Produces<AppendResponse>(200)
            .WithResponseExample(201, EventExamples.Appended("created")).WithResponseExample(200, EventExamples.Appended("existing"))
            .ProducesProblem(400).ProducesProblem(409).ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);
        events.MapGet("", SearchAsync).RequireAuthorization(Scopes.EventsRead).WithName("searchEvents")
            .WithSummary("Search a tenant's events, newest first, with filters and the search language in q.")
            .WithQueryParameters(SearchQueryParameters).WithTenantParameter().ResolvesTenant()
            .ProducesSchema(200, "A page of events, newest first.", "EventPage", EventExamples.Page)
            .ProducesProblem(400);
        EventStatsApi.Map(events);
        events.MapGet("/{id}", GetAsync).RequireAuthorization(Scopes.EventsRead).WithName("getEvent")
            .WithSummary("One event with every field and its leaf hash.")
            .WithTenantParameter().ResolvesTenant()
            .ProducesSchema(200, "The stored event.", "Event", EventExamples.Stored)
            .ProducesProblem(404);
        events.MapGet("/{id}/proof", ProofAsync).RequireAuthorization(Scopes.EventsRead).WithName("getEventProof")
            .WithSummary("The event's inclusion proof against the tenant's latest signed checkpoint.")
            .WithTenantParameter().ResolvesTenant()
            .Produces<ProofResponse>(200).ProducesProblem(404);
    }

    /// <summary>The filters of <c>GET /v1/events</c> (also taken by the export), for the OpenAPI description.</summary>
    internal static readonly QueryParameter[] FilterQueryParameters =
    [
        new("from", "Earliest occurred_at, inclusive: an RFC 3339 time, or a day `yyyy-MM-dd` in the tenant's time zone."),
        new("to", "Latest occurred_at, exclusive: an RFC 3339 time, or a day `yyyy-MM-dd` (its end) in the tenant's time zone."),
        new("actor", "The actor's id or email."),
        new("action", "An action, exact (`inbox.create`) or a prefix (`inbox.*`)."),
        new("category", "A category, exact."),
        new("type", "A log type.", Enum: LogTypes.All),
        new("outcome", "success or failure.", Enum: Outcomes.All),
        new("target", "A target as `type:id` or `id`."),
        new("ip", "An IP address or a CIDR range."),
        new("q", "The search language: `actor:ada@acme.example action:inbox.* -outcome:success created:>=2023-06-01 \"free text\"`; terms are ANDed, `-` negates."),
    ];

    private static readonly QueryParameter[] SearchQueryParameters =
    [
        .. FilterQueryParameters,
        new("limit", $"Events per page, 1–{MaxLimit}.", JsonSchemaType.Integer, "int32", 1, MaxLimit, DefaultLimit),
        new("cursor", "The `next_cursor` of the previous page."),
    ];

    private static async Task<IResult> PostAsync(HttpContext context, EventParser parser, EventIntake intake, Limits.RateLimits limits)
    {
        var caller = Caller.From(context.User);
        var (body, length) = await ReadBodyAsync(context.Request);
        if (body is null)
        {
            return Problems.Result(413, "Request too large", $"A request may be at most {EventLimits.MaxBatchBytes} bytes.");
        }

        IReadOnlyList<SubmittedEvent> parsed;
        bool batch;
        try
        {
            // The parsed events own copies of everything they keep, so the pooled body goes back right after.
            parsed = parser.ParseRequest(body.AsSpan(0, length), caller.Tenant, out batch);
        }
        catch (EventValidationException ex)
        {
            return Problems.Invalid(ex.Errors);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        if (limits.RefuseIngest(context, caller, parsed) is { } refused)
        {
            return refused;
        }

        AppendResult? appended;
        try
        {
            appended = await intake.TrySubmitAsync(parsed, batch, context.RequestAborted);
        }
        catch (EventValidationException ex)
        {
            return Problems.Invalid(ex.Errors);
        }

        if (appended is not { } result)
        {
            // The queue holds as many events as it may: pushing back keeps memory bounded, and nothing of this request is stored.
            context.Response.Headers.RetryAfter = "1";
            return Problems.Result(503, "Ingest queue full",
                $"The server has {intake.Ingestor.MaxQueuedEvents.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} events waiting to be written; nothing of this request was stored. Retry after 1 s.");
        }

        if (result.Conflict is { } conflict)
        {
            var field = batch ? $"events[{conflict.Index}].id" : "id";
            return Problems.Result(409, "Conflicting event id", conflict.Message, [new ValidationError(field, conflict.Message)]);
        }

        // One shape whatever happened, so a client that retries reads the same fields: 201 when
        // anything was stored, 200 when every event was already there.
        return Results.Json(
            new AppendResponse([.. result.Events.Select(e => new AppendedId(e.Id, e.Seq, Convert.ToHexStringLower(e.Hash), e.Replayed ? AppendStatus.Existing : AppendStatus.Created))]),
            WitnessJson.Api.AppendResponse,
            statusCode: result.Events.All(e => e.Replayed) ? 200 : 201);
    }

    private static async Task<IResult> SearchAsync(HttpContext context, TenantScope scope, IWitnessStore store, ReadAuditor auditor)
    {
        var tenant = scope.Tenant;
        if (await TenantAccess.UnknownTenantAsync(context, tenant, store) is { } missing)
        {
            return missing;
        }

        var query = context.Request.Query;
        var unknown = query.Keys.FirstOrDefault(k => !SearchParameters.Contains(k));
        if (unknown is not null)
        {
            return Problems.Invalid(unknown, $"unknown parameter; the parameters are {string.Join(", ", SearchParameters)}");
        }

        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, out limit) || limit < 1 || limit > MaxLimit))
        {
            return Problems.Invalid("limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        EventCursor? cursor = null;
        if (query.TryGetValue("cursor", out var cursorText) && !EventCursor.TryParse(cursorText, out cursor))
        {
            return Problems.Invalid("cursor", "is not a cursor returned by this API");
        }

        var settings = await store.GetSettingsAsync(tenant, context.RequestAborted);
        EventFilter filter;
        try
        {
            filter = EventFilterBinder.FromParameters(name => query.TryGetValue(name, out var v) ? v.ToString() : null, TenantZone.Of(settings));
        }
        catch (SearchSyntaxException ex)
        {
            return Problems.Invalid(FieldOf(ex), ex.Message);
        }

        var page = await store.SearchAsync(tenant, filter, limit, cursor, context.RequestAborted);
        await auditor.RecordViewAsync(tenant, ApiActor(context), RequestContext.Of(context), context.RequestAborted);
        return new WrittenResult(200, r => EventJson.WritePageAsync(r, page.Events, page.Next?.ToString()));
    }

    private static async Task<IResult> GetAsync(HttpContext context, TenantScope scope, string id, IWitnessStore store)
    {
        var tenant = scope.Tenant;
        var stored = await store.FindAsync(tenant, id, context.RequestAborted);
        return stored is null
            ? Problems.NotFound($"No event '{id}' in tenant '{tenant}'.")
            : new WrittenResult(200, r => EventJson.WriteOneAsync(r, stored.Body, stored.Hash));
    }

    private static async Task<IResult> ProofAsync(HttpContext context, TenantScope scope, string id, IWitnessStore store, CheckpointIssuer issuer)
    {
        var tenant = scope.Tenant;
        var stored = await store.FindAsync(tenant, id, context.RequestAborted);
        if (stored is null)
        {
            return Problems.NotFound($"No event '{id}' in tenant '{tenant}'.");
        }

        var checkpoint = (await issuer.IssueAsync(tenant, context.RequestAborted))!;
        var proof = await MerkleProofs.InclusionAsync(stored.Seq - 1, checkpoint.Size, store.Nodes(tenant), context.RequestAborted);
        return Results.Json(
            new ProofResponse(id, stored.Seq, stored.Seq - 1, stored.HashHex, checkpoint.Size, [.. proof.Select(Convert.ToHexStringLower)], IntegrityApi.Describe(issuer, tenant, checkpoint))
            {
                Personal = stored.Personal is { } personal ? Convert.ToBase64String(personal) : null,
            },
            WitnessJson.Api.ProofResponse);
    }

    /// <summary>Every query parameter a search takes; anything else is a mistake worth naming.</summary>
    internal static readonly IReadOnlyList<string> SearchParameters = [.. EventFilterBinder.ParameterNames, "limit", "cursor", "tenant"];

    /// <summary>The parameter a search error is about: the one named in <c>name=value</c> terms, else <c>q</c>.</summary>
    internal static string FieldOf(SearchSyntaxException ex)
    {
        var equals = ex.Term.IndexOf('=');
        return equals > 0 && EventFilterBinder.ParameterNames.Contains(ex.Term[..equals]) ? ex.Term[..equals] : "q";
    }

    /// <summary>The actor recorded for API reads: the key, or the user of a console session.</summary>
    internal static EventActor ApiActor(HttpContext context) =>
        ConsoleClaims.Actor(context.User) ?? new() { Type = ActorTypes.ApiKey, Id = Caller.From(context.User).KeyId };

    /// <summary>
    /// The whole body in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it) and its
    /// length, or a null buffer when the body is larger than a batch may be. Batches are hundreds of
    /// kilobytes: a fresh array for each would be a large-object allocation per request.
    /// </summary>
    private static async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > EventLimits.MaxBatchBytes)
        {
            return (null, 0);
        }

        // One byte more than announced, so a body of exactly that length does not fill the buffer and make it grow before the read that sees its end.
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is { } announced ? (int)announced + 1 : 16 * 1024);
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
                if (length > EventLimits.MaxBatchBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return (buffer, length);
    }
}

internal sealed record AppendResponse(IReadOnlyList<AppendedId> Events);

/// <summary>What became of one sent event: its id, its place in the tenant's log, its leaf hash (hex) and whether this request stored it.</summary>
internal sealed record AppendedId(string Id, long Seq, string Hash, string Status);

/// <summary>The values of <see cref="AppendedId.Status"/>.</summary>
internal static class AppendStatus
{
    /// <summary>Stored by this request.</summary>
    public const string Created = "created";

    /// <summary>Already stored with the same body (an idempotent repeat); nothing was written.</summary>
    public const string Existing = "existing";
}

internal sealed record ProofResponse(string Id, long Seq, long LeafIndex, string LeafHash, long TreeSize, IReadOnlyList<string> Proof, CheckpointResponse Checkpoint)
{
    /// <summary>The event's personal record (leaf version 2, docs/erasure.md), base64: with the event it gives the leaf bytes; null when the leaf is the event itself.</summary>
    public string? Personal { get; init; }
}
