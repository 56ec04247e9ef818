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
public static class IntegrityApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Integrity").WithTenantParameter();
        group.MapGet("/verify", VerifyAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("Recompute the tenant's whole log and check every event, stored hash and signed checkpoint.")
            .Produces<VerifyResponse>(200);
        group.MapGet("/checkpoints/latest", LatestAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The latest signed checkpoint of the tenant's log (C2SP tlog-checkpoint, signed note).")
            .Produces<CheckpointResponse>(200).ProducesProblem(404);
        group.MapGet("/checkpoints/consistency", ConsistencyAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The consistency proof between tree sizes from and to: the newer log only appended to the older.")
            .WithQueryParameters(
                new QueryParameter("from", "The older tree size (at least 1).", Microsoft.OpenApi.JsonSchemaType.Integer, "int64", 1, Required: true),
                new QueryParameter("to", "The newer tree size; default the log's size.", Microsoft.OpenApi.JsonSchemaType.Integer, "int64", 1))
            .Produces<ConsistencyResponse>(200).ProducesProblem(400).ProducesProblem(410);
        app.MapGet("/v1/public-key", (CheckpointIssuer issuer) => Results.Text(issuer.Key.PublicKeyPem, "application/x-pem-file")).WithTags("Integrity")
            .Produces<string>(200, "application/x-pem-file")
            .WithSummary("The PEM public key (ECDSA P-256) that signs checkpoints.")
            .AllowAnonymous();
    }

    private static async Task<IResult> VerifyAsync(HttpContext context, IWitnessStore store, CheckpointIssuer issuer)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await new ChainVerifier(store, issuer.Key.Key, issuer.Key.KeyName).VerifyAsync(tenant, context.RequestAborted);
        Telemetry.ServerMetrics.Verified(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return Results.Json(new VerifyResponse(result.Ok, result.Events, result.FirstBadSeq, result.Problem, result.CheckpointsChecked) { PurgedEvents = result.Purged }, WitnessJson.Api.VerifyResponse);
    }

    private static async Task<IResult> LatestAsync(HttpContext context, CheckpointIssuer issuer)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var checkpoint = await issuer.IssueAsync(tenant, context.RequestAborted);
        return checkpoint is null
            ? Problems.NotFound($"Tenant '{tenant}' has no events yet, so its log has no checkpoint.")
            : Results.Json(Describe(issuer, tenant, checkpoint), WitnessJson.Api.CheckpointResponse);
    }

    private static async Task<IResult> ConsistencyAsync(HttpContext context, IWitnessStore store, CheckpointIssuer issuer)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

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

public sealed record VerifyResponse(bool Ok, long Events, long? FirstBadSeq, string? Problem, int CheckpointsChecked)
{
    /// <summary>How many of the first events retention purged; they are vouched for by kept hashes, not recomputed.</summary>
    public long PurgedEvents { get; init; }
}

/// <summary>A signed checkpoint: the C2SP note text and its parts (root hash in base64, as in the note).</summary>
public sealed record CheckpointResponse(string Origin, long Size, string RootHash, string Note, DateTimeOffset CreatedAt);

/// <summary>Proof hashes are hex; roots base64, as checkpoints write them.</summary>
public sealed record ConsistencyResponse(long From, long To, string FromRoot, string ToRoot, IReadOnlyList<string> Proof);
