using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Server.Auth;
using Witness.Server.Configuration;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Server.Streams;
using Witness.Streams;

namespace Witness.Server.Apis;

/// <summary>
/// A tenant's log streams: <c>/v1/streams</c> (admin scope). <see cref="StreamService"/> checks, saves,
/// pauses, resumes, tests and reports; <see cref="StreamDeliveryService"/> delivers.
/// </summary>
internal static class StreamsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/streams").WithTags("Streams").WithTenantParameter().ResolvesTenant().RequireAuthorization(Scopes.Admin);
        group.MapGet("", ListAsync).WithSummary("The tenant's log streams with their status (secrets and tokens are never shown again).").Produces<StreamList>(200);
        group.MapPost("", CreateAsync)
            .WithSummary("Create a log stream: name, kind (syslog, http, splunk_hec), url (tcp:// or tls:// for syslog), format (witness, ocsf, cef), " +
                "token (splunk_hec), secret (http; generated when left out and shown once), ca_pem or pinned_sha256 (tls), filters types, categories, query, " +
                "and a backfill start_seq or start_time (else only events from now on).")
            .Accepts<StreamRequest>("application/json").Produces<StreamResponse>(201).ProducesProblem(400);
        group.MapGet("/{id}", GetAsync).WithSummary("One log stream with its status: state, delivered seq and time, lag in events and seconds, last error.")
            .Produces<StreamResponse>(200).ProducesProblem(404);
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace a stream's definition (its kind and cursor stay; a token or secret left out is kept).")
            .Accepts<StreamRequest>("application/json").Produces<StreamResponse>(200).ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/{id}/pause", PauseAsync).WithSummary("Pause delivery; the cursor stays.").Produces<StreamResponse>(200).ProducesProblem(404);
        group.MapPost("/{id}/resume", ResumeAsync).WithSummary("Resume delivery from the cursor.").Produces<StreamResponse>(200).ProducesProblem(404);
        group.MapPost("/{id}/test", TestAsync).WithSummary("Send one test event (action stream.test, seq 0; not in the log) to the destination now; 502 with the error when it fails.")
            .Produces<StreamTestResponse>(200).ProducesProblem(404).ProducesProblem(502);
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a stream and its cursor.").Produces(204).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(HttpContext context, TenantScope scope, StreamService service)
    {
        var list = new List<StreamResponse>();
        foreach (var stream in await service.ListAsync(scope.Tenant, context.RequestAborted))
        {
            list.Add(await DescribeAsync(service, stream, null, context.RequestAborted));
        }

        return Results.Json(new StreamList(list), StreamsJson.Api.StreamList);
    }

    private static async Task<IResult> GetAsync(HttpContext context, TenantScope scope, string id, StreamService service)
    {
        var stream = await service.FindAsync(scope.Tenant, id, context.RequestAborted);
        return stream is null ? NotFound(scope.Tenant, id) : await AnswerAsync(service, stream, null, 200, context.RequestAborted);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, TenantScope scope, StreamService service)
    {
        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? await AnswerAsync(service, await service.CreateAsync(scope, request!, context.RequestAborted), scope.Tenant, "", 201, context.RequestAborted);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, TenantScope scope, string id, StreamService service)
    {
        if (await service.FindAsync(scope.Tenant, id, context.RequestAborted) is null)
        {
            return NotFound(scope.Tenant, id);
        }

        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? await AnswerAsync(service, await service.ReplaceAsync(scope, id, request!, context.RequestAborted), scope.Tenant, id, 200, context.RequestAborted);
    }

    private static Task<IResult> PauseAsync(HttpContext context, TenantScope scope, string id, StreamService service) => SetPausedAsync(context, scope, id, service, true);

    private static Task<IResult> ResumeAsync(HttpContext context, TenantScope scope, string id, StreamService service) => SetPausedAsync(context, scope, id, service, false);

    private static async Task<IResult> SetPausedAsync(HttpContext context, TenantScope scope, string id, StreamService service, bool paused)
    {
        var stream = await service.SetPausedAsync(scope, id, paused, context.RequestAborted);
        return stream is null ? NotFound(scope.Tenant, id) : await AnswerAsync(service, stream, null, 200, context.RequestAborted);
    }

    private static async Task<IResult> TestAsync(HttpContext context, TenantScope scope, string id, StreamService service)
    {
        var stream = await service.FindAsync(scope.Tenant, id, context.RequestAborted);
        if (stream is null)
        {
            return NotFound(scope.Tenant, id);
        }

        var error = await service.SendTestAsync(scope, stream, context.RequestAborted);
        return error is null
            ? Results.Json(new StreamTestResponse(true), StreamsJson.Api.StreamTestResponse)
            : Problems.Result(502, "Destination failed", $"The test event did not reach {stream.Url}: {error}");
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, TenantScope scope, string id, StreamService service) =>
        await service.DeleteAsync(scope, id, context.RequestAborted) ? Results.NoContent() : NotFound(scope.Tenant, id);

    private static async Task<IResult> AnswerAsync(StreamService service, ChangeResult<SavedStream> result, string tenant, string id, int status, CancellationToken ct) =>
        result.NotFound ? NotFound(tenant, id)
        : result.Value is { } saved ? await AnswerAsync(service, saved.Stream, saved.NewSecret, status, ct)
        : Problems.Invalid(result.Errors);

    private static async Task<IResult> AnswerAsync(StreamService service, LogStream stream, string? newSecret, int status, CancellationToken ct) =>
        Results.Json(await DescribeAsync(service, stream, newSecret, ct), StreamsJson.Api.StreamResponse, statusCode: status);

    private static async Task<StreamResponse> DescribeAsync(StreamService service, LogStream s, string? newSecret, CancellationToken ct) =>
        new(s.Id, s.Tenant, s.Name, s.Kind, s.Url, s.Format, s.Types, s.Categories, s.Query, s.Paused, s.CaPem, s.PinnedSha256,
            s.Kind == StreamKinds.SplunkHec ? s.Secret is not null : null, newSecret, s.CreatedAt, s.UpdatedAt, await service.StatusAsync(s, ct));

    private static StreamRequest Read(JsonElement root)
    {
        var fields = new JsonRequestFields(root, StreamService.Fields, nullIsLeftOut: true);
        long? startSeq = null;
        if (root.TryGetProperty("start_seq", out var seq) && seq.ValueKind != JsonValueKind.Null)
        {
            if (seq.ValueKind == JsonValueKind.Number && seq.TryGetInt64(out var value))
            {
                startSeq = value;
            }
            else
            {
                fields.WrongType.Add("start_seq");
            }
        }

        return new StreamRequest
        {
            Name = fields.String("name"),
            Kind = fields.String("kind"),
            Url = fields.String("url"),
            Format = fields.String("format"),
            Token = fields.String("token"),
            Secret = fields.String("secret"),
            CaPem = fields.String("ca_pem"),
            PinnedSha256 = fields.String("pinned_sha256"),
            Types = ListOrWrongType(root, fields, "types"),
            Categories = ListOrWrongType(root, fields, "categories"),
            Query = fields.String("query"),
            StartSeq = startSeq,
            StartTime = fields.String("start_time"),
            UnknownFields = fields.Unknown,
            WrongType = fields.WrongType,
        };
    }

    private static List<string?>? ListOrWrongType(JsonElement root, JsonRequestFields fields, string field)
    {
        if (root.TryGetProperty(field, out var value) && value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            fields.WrongType.Add(field);
            return null;
        }

        return fields.Strings(field);
    }

    private static IResult NotFound(string tenant, string id) => Problems.NotFound($"No log stream '{id}' in tenant '{tenant}'.");
}

/// <summary>
/// A log stream. <c>secret</c> (http) appears only in the answer that set it; a Splunk token is never
/// shown (<c>token_set</c> says one is kept).
/// </summary>
internal sealed record StreamResponse(
    string Id, string Tenant, string Name, string Kind, string Url, string Format, IReadOnlyList<string> Types, IReadOnlyList<string> Categories,
    string Query, bool Paused, string? CaPem, string? PinnedSha256, bool? TokenSet, string? Secret, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    StreamStatus Status);

internal sealed record StreamList(IReadOnlyList<StreamResponse> Streams);

internal sealed record StreamTestResponse(bool Delivered);

/// <summary>Source-generated JSON for the streams API's shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StreamRequest))]
[JsonSerializable(typeof(StreamResponse))]
[JsonSerializable(typeof(StreamList))]
[JsonSerializable(typeof(StreamTestResponse))]
internal sealed partial class StreamsJson : JsonSerializerContext
{
    public static StreamsJson Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcTimeJsonConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
