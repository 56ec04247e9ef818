using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Events;
using Witness.Ingest;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.Tenants;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>The tenants the store knows, for the operator: <c>/v1/tenants</c>, global admin keys only.</summary>
internal static class TenantsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/v1/tenants").WithTags("Operation");
        tenants.MapGet("", ListAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Every tenant with a log, with its size and latest checkpoint (a global admin key).")
            .Produces<TenantList>(200).ProducesProblem(403);
        tenants.MapDelete("/{tenant}", DeleteAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Deletes a tenant's events, keys, users, settings, rules and webhooks; ?confirm= must repeat the name. Recorded in the _platform log.")
            .Produces<TenantDeleted>(200).ProducesProblem(400).ProducesProblem(403).ProducesProblem(404);
    }

    private static IResult? GlobalOnly(HttpContext context) =>
        Caller.From(context.User).Tenant is { } bound
            ? Problems.Result(403, "Global key required", $"This API key is bound to tenant '{bound}'; managing tenants needs a global admin key.")
            : null;

    private static async Task<IResult> ListAsync(HttpContext context, IWitnessStore store)
    {
        if (GlobalOnly(context) is { } refused)
        {
            return refused;
        }

        var ct = context.RequestAborted;
        var list = new List<TenantSummary>();
        foreach (var name in await store.ListTenantsAsync(ct))
        {
            var size = (await store.GetFrontierAsync(name, ct))?.Size ?? 0;
            var checkpoint = await store.LatestCheckpointAsync(name, ct);
            list.Add(new TenantSummary(name, size, checkpoint?.Size, checkpoint is null ? null : Rfc3339.FormatFixed(checkpoint.CreatedAt)));
        }

        return Results.Json(new TenantList(list), TenantsJson.Api.TenantList);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string tenant, IWitnessStore store, EventIntake intake, TimeProvider clock)
    {
        if (GlobalOnly(context) is { } refused)
        {
            return refused;
        }

        if (context.Request.Query["confirm"].ToString() != tenant)
        {
            return Problems.Invalid("confirm", "must repeat the tenant's name: deleting a tenant cannot be undone");
        }

        if (tenant == PlatformLog.Tenant)
        {
            return Problems.Invalid("tenant", "the platform log cannot be deleted");
        }

        if (store is not ITenantStore tenants)
        {
            return Problems.Result(501, "Not supported", $"the {store.Kind} store cannot delete tenants");
        }

        var removed = await tenants.DeleteTenantAsync(tenant, context.RequestAborted);
        if (removed is null)
        {
            return Problems.NotFound($"No tenant named '{tenant}'.");
        }

        await PlatformLog.RecordTenantDeletedAsync(intake, clock, tenant, removed, EventsApi.ApiActor(context), context.RequestAborted);
        return Results.Json(new TenantDeleted(tenant, removed.Events, removed.ApiKeys, removed.Users), TenantsJson.Api.TenantDeleted);
    }
}

internal sealed record TenantSummary(string Name, long Events, long? CheckpointSize, string? CheckpointAt);

internal sealed record TenantList(IReadOnlyList<TenantSummary> Tenants);

internal sealed record TenantDeleted(string Tenant, long Events, int ApiKeys, int Users);

/// <summary>Source-generated JSON for the tenants API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TenantList))]
[JsonSerializable(typeof(TenantDeleted))]
internal sealed partial class TenantsJson : JsonSerializerContext
{
    public static TenantsJson Api { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
