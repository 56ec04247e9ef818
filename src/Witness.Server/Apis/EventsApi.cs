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

namespace Witness.Server.Apis;

/// <summary>Sending, searching and reading events: <c>/v1/events</c>.</summary>
public static class EventsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        var events = app.MapGroup("/v1/events").WithTags("Events");
        events.MapPost("", PostAsync).RequireAuthorization(Scopes.EventsWrite)
            .WithSummary("Send one event, or a batch {\"events\":[…]} of up to 1,000; all-or-nothing.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Description = "One event (SPEC §2), or {\"events\":[…]} with up to 1,000 events and 8 MiB.",
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType> { ["application/json"] = new() },
                };
                return Task.CompletedTask;
            })
            .Produces<AppendResponse>(201).Produces(200).ProducesProblem(400).ProducesProblem(409).ProducesProblem(413);
        events.MapGet("", SearchAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("Search a tenant's events, newest first, with filters and the search language in q.")
            .Produces(200).ProducesProblem(400);
        events.MapGet("/{id}", GetAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("One event with every field and its leaf hash.")
            .Produces(200).ProducesProblem(404);
        events.MapGet("/{id}/proof", ProofAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The event's inclusion proof against the tenant's latest signed checkpoint.")
            .Produces<ProofResponse>(200).ProducesProblem(404);
    }

    private static async Task<IResult> PostAsync(HttpContext context, EventParser parser, EventIngestor ingestor, IngestPolicy policy)
    {
        var caller = Caller.From(context.User);
        var body = await ReadBodyAsync(context.Request);
        if (body is null)
        {
            return Problems.Result(413, "Request too large", $"A request may be at most {EventLimits.MaxBatchBytes} bytes.");
        }

        IReadOnlyList<SubmittedEvent> submitted;
        bool batch;
        try
        {
            var parsed = parser.ParseRequest(body, caller.Tenant, out batch);
            submitted = await policy.ApplyAsync(parsed, batch, context.RequestAborted);
        }
        catch (EventValidationException ex)
        {
            return Problems.Invalid(ex.Errors);
        }

        var result = await ingestor.AppendAsync(submitted, context.RequestAborted);
        if (result.Conflict is { } conflict)
        {
            var field = batch ? $"events[{conflict.Index}].id" : "id";
            return Problems.Result(409, "Conflicting event id", conflict.Message, [new ValidationError(field, conflict.Message)]);
        }

        if (result.Events.All(e => e.Replayed))
        {
            return batch
                ? new WrittenResult(200, r => EventJson.WriteManyAsync(r, result.Events))
                : new WrittenResult(200, r => EventJson.WriteOneAsync(r, result.Events[0].Body, result.Events[0].Hash));
        }

        return Results.Json(
            new AppendResponse([.. result.Events.Select(e => new AppendedId(e.Id, e.Seq, Convert.ToHexStringLower(e.Hash)))]),
            WitnessJson.Api.AppendResponse,
            statusCode: 201);
    }

    private static async Task<IResult> SearchAsync(HttpContext context, IWitnessStore store, ReadAuditor auditor)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
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

    private static async Task<IResult> GetAsync(HttpContext context, string id, IWitnessStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var stored = await store.FindAsync(tenant, id, context.RequestAborted);
        return stored is null
            ? Problems.NotFound($"No event '{id}' in tenant '{tenant}'.")
            : new WrittenResult(200, r => EventJson.WriteOneAsync(r, stored.Body, stored.Hash));
    }

    private static async Task<IResult> ProofAsync(HttpContext context, string id, IWitnessStore store, CheckpointIssuer issuer)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var stored = await store.FindAsync(tenant, id, context.RequestAborted);
        if (stored is null)
        {
            return Problems.NotFound($"No event '{id}' in tenant '{tenant}'.");
        }

        var checkpoint = (await issuer.IssueAsync(tenant, context.RequestAborted))!;
        var proof = await MerkleProofs.InclusionAsync(stored.Seq - 1, checkpoint.Size, store.Nodes(tenant), context.RequestAborted);
        return Results.Json(
            new ProofResponse(id, stored.Seq, stored.Seq - 1, stored.HashHex, checkpoint.Size, [.. proof.Select(Convert.ToHexStringLower)], IntegrityApi.Describe(issuer, tenant, checkpoint)),
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

    /// <summary>The actor recorded for API reads: the key.</summary>
    internal static EventActor ApiActor(HttpContext context) =>
        new() { Type = ActorTypes.ApiKey, Id = Caller.From(context.User).KeyId };

    /// <summary>The whole body, or null when it is larger than a batch may be.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > EventLimits.MaxBatchBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > EventLimits.MaxBatchBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

public sealed record AppendResponse(IReadOnlyList<AppendedId> Events);

public sealed record AppendedId(string Id, long Seq, string Hash);

public sealed record ProofResponse(string Id, long Seq, long LeafIndex, string LeafHash, long TreeSize, IReadOnlyList<string> Proof, CheckpointResponse Checkpoint);
