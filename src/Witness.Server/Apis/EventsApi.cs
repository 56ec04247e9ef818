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

        IReadOnlyList<SubmittedEvent> submitted;
        try
        {
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

public sealed record AppendResponse(IReadOnlyList<AppendedId> Events);

public sealed record AppendedId(string Id, long Seq, string Hash);

public sealed record ProofResponse(string Id, long Seq, long LeafIndex, string LeafHash, long TreeSize, IReadOnlyList<string> Proof, CheckpointResponse Checkpoint);
