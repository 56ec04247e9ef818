using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Events;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Server.Privacy;

namespace Witness.Server.Apis;

/// <summary><c>POST /v1/subjects/erase</c>: erase a person's personal values in the tenant, keeping every proof (docs/erasure.md).</summary>
internal static class SubjectsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/subjects").WithTags("Privacy").WithTenantParameter().ResolvesTenant();
        group.MapPost("/erase", EraseAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Erase every personal value (actor name and email, IP, user agent, location) of a subject, given by email or actor_id; the events, their hashes and every proof stay. Recorded as a privacy.erase event without the erased value.")
            .Accepts<EraseRequest>("application/json")
            .Produces<EraseResponse>(200).ProducesProblem(400);
    }

    private static async Task<IResult> EraseAsync(HttpContext context, TenantScope scope, SubjectErasure erasure)
    {
        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        if (refusal is not null)
        {
            return refusal;
        }

        if (request!.Unknown.Count > 0)
        {
            return Problems.Invalid([.. request.Unknown.Select(f => new ValidationError(f, "unknown field; give email or actor_id"))]);
        }

        if (request.WrongType.Count > 0)
        {
            return Problems.Invalid([.. request.WrongType.Select(f => new ValidationError(f, "must be a string"))]);
        }

        var (subject, errors) = SubjectErasure.Check(request.Email, request.ActorId);
        if (subject is null)
        {
            return Problems.Invalid(errors);
        }

        var (count, seq) = await erasure.EraseAsync(scope.Tenant, subject, scope.Actor, scope.Request, context.RequestAborted);
        return Results.Json(new EraseResponse(scope.Tenant, count.Events, count.Kept, seq), WitnessJson.Api.EraseResponse);
    }

    private static EraseRequest Read(JsonElement root)
    {
        var fields = new JsonRequestFields(root, SubjectErasure.Fields, nullIsLeftOut: true);
        return new EraseRequest(fields.String("email"), fields.String("actor_id")) { Unknown = fields.Unknown, WrongType = [.. fields.WrongType] };
    }
}

/// <summary>Whom to erase: exactly one of the two.</summary>
internal sealed record EraseRequest(string? Email, string? ActorId)
{
    internal IReadOnlyList<string> Unknown { get; init; } = [];
    internal IReadOnlyList<string> WrongType { get; init; } = [];
}

/// <summary>How many events had their personal values erased, how many of the subject's events were kept because they were stored in leaf version 1, and the seq of the privacy.erase event.</summary>
internal sealed record EraseResponse(string Tenant, long Events, long KeptVersion1, long? RecordSeq);
