using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Storage;
using Witness.Verification;

namespace Witness.Server.Apis;

/// <summary>Proving the log intact: verification, checkpoints, consistency proofs and the public key.</summary>
internal static class IntegrityApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Integrity").WithTenantParameter().ResolvesTenant();
        group.MapGet("/verify", VerifyAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("Recompute the tenant's whole log and check every event, stored hash and signed checkpoint.")
            .Produces<VerifyResponse>(200);
        group.MapPost("/verify", VerifyAgainstAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("Verify the log as GET /v1/verify does, and that it is a consistent extension of each signed checkpoint given in the body, kept from earlier: {\"checkpoints\": [note, …]}.")
            .Produces<VerifyResponse>(200).ProducesProblem(400);
        group.MapGet("/checkpoints/latest", LatestAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The latest signed checkpoint of the tenant's log (C2SP tlog-checkpoint, signed note), with its inclusion proof in the heads log and, when witnesses are configured, the heads checkpoint last cosigned by K of them (heads.witnessed: when, and the proof of this checkpoint in it once it covers it).")
            .Produces<CheckpointResponse>(200).ProducesProblem(404).ProducesProblem(503);
        group.MapGet("/checkpoints/consistency", ConsistencyAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The consistency proof between tree sizes from and to: the newer log only appended to the older.")
            .WithQueryParameters(
                new QueryParameter("from", "The older tree size (at least 1).", Microsoft.OpenApi.JsonSchemaType.Integer, "int64", 1, Required: true),
                new QueryParameter("to", "The newer tree size; default the log's size.", Microsoft.OpenApi.JsonSchemaType.Integer, "int64", 1))
            .Produces<ConsistencyResponse>(200).ProducesProblem(400).ProducesProblem(410);
        app.MapGet("/v1/public-key", (CheckpointIssuer issuer) => Results.Text(issuer.Key.PublicKeyPem, "application/x-pem-file")).WithTags("Integrity")
            .Produces<string>(200, "application/x-pem-file")
            .WithSummary("The PEM public key (ECDSA P-256) that signs checkpoints now: the store's current key.")
            .AllowAnonymous();
        app.MapGet("/v1/public-keys", PublicKeysAsync).WithTags("Integrity")
            .Produces<PublicKeysResponse>(200)
            .WithSummary("Every key that has signed checkpoints in this store, oldest first, with when each was current: older checkpoints verify under the key of their time.")
            .AllowAnonymous();
    }

    private static async Task<IResult> PublicKeysAsync(HttpContext context, IWitnessStore store, CheckpointIssuer issuer)
    {
        var registry = store is ISigningKeyStore keys ? await keys.ListSigningKeysAsync(context.RequestAborted) : [];
        var listed = registry.Select(k => new PublicKeyResponse(k.KeyId, issuer.Key.KeyName, k.PublicKeyPem, k.ValidUntil is null, k.ValidFrom, k.ValidUntil, k.Endorsement)).ToList();
        return Results.Json(new PublicKeysResponse(listed), WitnessJson.Api.PublicKeysResponse);
    }

    private static async Task<IResult> VerifyAsync(HttpContext context, TenantScope scope, IWitnessStore store, CheckpointIssuer issuer)
    {
        var tenant = scope.Tenant;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var keys = await SigningKeyRegistry.TrustedKeysAsync(store, issuer.Key.Key, context.RequestAborted);
        var result = await new ChainVerifier(store, keys, issuer.Key.KeyName).VerifyAsync(tenant, context.RequestAborted);
        Telemetry.ServerMetrics.Verified(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return Describe(result);
    }

    /// <summary>POST /v1/verify: the body names signed checkpoints kept outside, as note text or as /v1/checkpoints/latest answered them.</summary>
    private static async Task<IResult> VerifyAgainstAsync(HttpContext context, TenantScope scope, IWitnessStore store, CheckpointIssuer issuer)
    {
        var tenant = scope.Tenant;
        var notes = new List<string>();
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("checkpoints", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return Problems.Invalid("checkpoints", "the body is {\"checkpoints\": [...]}, each a signed checkpoint note (text, or an object with \"note\" as GET /v1/checkpoints/latest answers)");
            }

            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var note = item.ValueKind switch
                {
                    JsonValueKind.String => item.GetString(),
                    JsonValueKind.Object when item.TryGetProperty("note", out var text) && text.ValueKind == JsonValueKind.String => text.GetString(),
                    _ => null,
                };
                if (string.IsNullOrEmpty(note))
                {
                    return Problems.Invalid($"checkpoints[{i}]", "must be a signed checkpoint note: a string, or an object with \"note\"");
                }

                notes.Add(note);
                i++;
            }
        }
        catch (JsonException ex)
        {
            return Problems.Invalid("checkpoints", $"the body is not JSON: {ex.Message}");
        }

        using var keys = await SigningKeyRegistry.TrustedKeysAsync(store, issuer.Key.Key, context.RequestAborted);
        var result = await new ChainVerifier(store, keys, issuer.Key.KeyName).VerifyAsync(tenant, notes, context.RequestAborted);
        return Describe(result);
    }

    private static IResult Describe(ChainVerification result) =>
        Results.Json(new VerifyResponse(result.Ok, result.Events, result.FirstBadSeq, result.Problem, result.CheckpointsChecked)
        {
            PurgedEvents = result.Purged,
            Size = result.Size,
            BadCheckpointSize = result.CheckpointSize,
            OutsideCheckpointsChecked = result.Ok ? result.OutsideCheckpoints : 0,
        }, WitnessJson.Api.VerifyResponse);

    private static async Task<IResult> LatestAsync(HttpContext context, TenantScope scope, CheckpointIssuer issuer, HeadsLog heads, Witnessing.HeadsCosigner cosigner)
    {
        var tenant = scope.Tenant;
        StoredCheckpoint? checkpoint;
        try
        {
            checkpoint = await issuer.IssueAsync(tenant, context.RequestAborted);
        }
        catch (SigningKeyRefusedException ex)
        {
            return Problems.Result(503, "Signing key retired", ex.Message);
        }

        if (checkpoint is null)
        {
            return Problems.NotFound($"Tenant '{tenant}' has no events yet, so its log has no checkpoint.");
        }

        var inclusion = await heads.ProveAsync(new Checkpoint(issuer.OriginOf(tenant), checkpoint.Size, checkpoint.RootHash), context.RequestAborted);
        var witnessed = await cosigner.WitnessedAsync(inclusion.Index, context.RequestAborted);
        return Results.Json(Describe(issuer, tenant, checkpoint) with { Heads = Witnessing.HeadsInclusionResponse.Of(inclusion, witnessed) }, WitnessJson.Api.CheckpointResponse);
    }

    private static async Task<IResult> ConsistencyAsync(HttpContext context, TenantScope scope, IWitnessStore store, CheckpointIssuer issuer)
    {
        var tenant = scope.Tenant;
        var query = context.Request.Query;
        if (!long.TryParse(query["from"], out var from) || from < 1)
        {
            return Problems.Invalid("from", "must be a tree size of at least 1");
        }

        var size = (await store.GetFrontierAsync(tenant, context.RequestAborted))?.Size ?? 0;
        var to = size;
        if (query.ContainsKey("to") && (!long.TryParse(query["to"], out to) || to < from))
        {
            return Problems.Invalid("to", "must be a tree size no smaller than from");
        }

        if (to > size)
        {
            return Problems.Invalid("to", $"the log holds {size} events");
        }

        var nodes = store.Nodes(tenant);
        var hasher = new SubtreeHasher(nodes);
        byte[][] proof;
        byte[] fromRoot;
        byte[] toRoot;
        try
        {
            proof = await MerkleProofs.ConsistencyAsync(from, to, nodes, context.RequestAborted);
            fromRoot = await hasher.HashAsync(0, from, context.RequestAborted);
            toRoot = await hasher.HashAsync(0, to, context.RequestAborted);
        }
        catch (PurgedLeavesException ex)
        {
            return Problems.Result(410, "Purged by retention", ex.Message, [new("from", ex.Message)]);
        }

        return Results.Json(
            new ConsistencyResponse(from, to, Convert.ToBase64String(fromRoot), Convert.ToBase64String(toRoot), [.. proof.Select(Convert.ToHexStringLower)]),
            WitnessJson.Api.ConsistencyResponse);
    }

    internal static CheckpointResponse Describe(CheckpointIssuer issuer, string tenant, StoredCheckpoint checkpoint) =>
        new(issuer.OriginOf(tenant), checkpoint.Size, Convert.ToBase64String(checkpoint.RootHash), checkpoint.Note, checkpoint.CreatedAt);
}

internal sealed record VerifyResponse(bool Ok, long Events, long? FirstBadSeq, string? Problem, int CheckpointsChecked)
{
    /// <summary>How many of the first events retention purged; they are vouched for by kept hashes, not recomputed.</summary>
    public long PurgedEvents { get; init; }

    /// <summary>The size of the log verified: the snapshot's, so events that arrived meanwhile are not part of it.</summary>
    public long Size { get; init; }

    /// <summary>When a checkpoint (stored, or given in the request) failed: its tree size.</summary>
    public long? BadCheckpointSize { get; init; }

    /// <summary>How many checkpoints given in the request the log was found a consistent extension of.</summary>
    public int OutsideCheckpointsChecked { get; init; }
}

/// <summary>A signed checkpoint: the C2SP note text and its parts (root hash in base64, as in the note).</summary>
internal sealed record CheckpointResponse(string Origin, long Size, string RootHash, string Note, DateTimeOffset CreatedAt)
{
    /// <summary>GET /v1/checkpoints/latest: where this checkpoint is in the heads log, with its inclusion proof (docs/witnessing.md).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Witnessing.HeadsInclusionResponse? Heads { get; init; }
}

/// <summary>Proof hashes are hex; roots base64, as checkpoints write them.</summary>
internal sealed record ConsistencyResponse(long From, long To, string FromRoot, string ToRoot, IReadOnlyList<string> Proof);

/// <summary>The store's checkpoint signing keys, oldest first; the last is current.</summary>
internal sealed record PublicKeysResponse(IReadOnlyList<PublicKeyResponse> Keys);

/// <summary>
/// One signing key: its C2SP key ID (8 hex digits, as checkpoint signature lines carry it), the key name of those
/// lines, the SubjectPublicKeyInfo PEM, and when it was current (from <c>ValidFrom</c> until <c>ValidUntil</c>, null
/// while current). <c>Endorsement</c> is the successor's base64 ECDSA signature over the key (docs/verification.md).
/// </summary>
internal sealed record PublicKeyResponse(string KeyId, string KeyName, string PublicKeyPem, bool Current, DateTimeOffset ValidFrom, DateTimeOffset? ValidUntil, string? Endorsement);
