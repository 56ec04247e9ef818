using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Server.Auth;
using Witness.Server.Configuration;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Apis;

/// <summary>
/// A tenant's webhook endpoints and their delivery history: <c>/v1/webhooks</c> (admin scope);
/// <see cref="WebhookService"/> checks, saves and records changes.
/// </summary>
internal static class WebhooksApi
{
    private const int DefaultDeliveries = 50;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/webhooks").WithTags("Webhooks").WithTenantParameter().ResolvesTenant().RequireAuthorization(Scopes.Admin);
        group.MapGet("", ListAsync).WithSummary("The tenant's webhooks (secrets are never shown again).").Produces<WebhookList>(200);
        group.MapPost("", CreateAsync)
            .WithSummary("Create a webhook: url, event_types (alert.fired, checkpoint), optional secret (whsec_…; generated when left out and shown once).")
            .Accepts<WebhookRequest>("application/json").Produces<WebhookResponse>(201).ProducesProblem(400);
        group.MapGet("/{id}", GetAsync).WithSummary("One webhook.").Produces<WebhookResponse>(200).ProducesProblem(404);
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace a webhook's url, event types, enabled and description; a secret given rotates it.")
            .Accepts<WebhookRequest>("application/json").Produces<WebhookResponse>(200).ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a webhook and its delivery history.").Produces(204).ProducesProblem(404);
        group.MapGet("/{id}/deliveries", DeliveriesAsync).WithSummary("The webhook's deliveries, newest first (limit 1–1000, default 50).")
            .WithQueryParameters(new QueryParameter("limit", "Deliveries per page, 1–1000.", Microsoft.OpenApi.JsonSchemaType.Integer, "int32", 1, 1000, 50))
            .Produces<DeliveryList>(200).ProducesProblem(404);
        group.MapPost("/{id}/deliveries/{deliveryId}/redeliver", RedeliverAsync)
            .WithSummary("Send a delivery's message again (same webhook-id), as a new delivery.")
            .Produces<DeliveryResponse>(202).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(HttpContext context, TenantScope scope, WebhookService service)
    {
        var webhooks = await service.ListAsync(scope.Tenant, context.RequestAborted);
        return Results.Json(new WebhookList([.. webhooks.Select(w => Describe(w, showSecret: false))]), AlertsJson.Api.WebhookList);
    }

    private static async Task<IResult> GetAsync(HttpContext context, TenantScope scope, string id, WebhookService service)
    {
        var webhook = await service.FindAsync(scope.Tenant, id, context.RequestAborted);
        return webhook is null ? NotFound(scope.Tenant, id) : Results.Json(Describe(webhook, showSecret: false), AlertsJson.Api.WebhookResponse);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, TenantScope scope, WebhookService service)
    {
        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? Answer(await service.CreateAsync(scope, request!, context.RequestAborted), scope.Tenant, "", 201);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, TenantScope scope, string id, WebhookService service)
    {
        // An unknown webhook is 404 whatever the body says.
        if (await service.FindAsync(scope.Tenant, id, context.RequestAborted) is null)
        {
            return NotFound(scope.Tenant, id);
        }

        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? Answer(await service.ReplaceAsync(scope, id, request!, context.RequestAborted), scope.Tenant, id, 200);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, TenantScope scope, string id, WebhookService service) =>
        await service.DeleteAsync(scope, id, context.RequestAborted) ? Results.NoContent() : NotFound(scope.Tenant, id);

    private static IResult Answer(ChangeResult<SavedWebhook> result, string tenant, string id, int status) =>
        result.NotFound ? NotFound(tenant, id)
        : result.Value is { } saved ? Results.Json(Describe(saved.Webhook, showSecret: saved.NewSecret is not null), AlertsJson.Api.WebhookResponse, statusCode: status)
        : Problems.Invalid(result.Errors);

    private static WebhookRequest Read(JsonElement root)
    {
        var fields = new JsonRequestFields(root, WebhookService.Fields, nullIsLeftOut: true);
        return new WebhookRequest(fields.String("url"), fields.String("secret"), fields.Strings("event_types"), fields.Boolean("enabled"), fields.String("description"))
        {
            UnknownFields = fields.Unknown,
            WrongType = fields.WrongType,
        };
    }

    private static async Task<IResult> DeliveriesAsync(HttpContext context, TenantScope scope, string id, IWebhookStore store)
    {
        var tenant = scope.Tenant;
        var limit = DefaultDeliveries;
        if (context.Request.Query.TryGetValue("limit", out var text) && (!int.TryParse(text, out limit) || limit is < 1 or > 1000))
        {
            return Problems.Invalid("limit", "must be a whole number from 1 to 1000");
        }

        if (await store.FindWebhookAsync(tenant, id, context.RequestAborted) is null)
        {
            return NotFound(tenant, id);
        }

        var deliveries = await store.ListDeliveriesAsync(tenant, id, limit, context.RequestAborted);
        return Results.Json(new DeliveryList([.. deliveries.Select(Describe)]), AlertsJson.Api.DeliveryList);
    }

    private static async Task<IResult> RedeliverAsync(HttpContext context, TenantScope scope, string id, string deliveryId, IWebhookStore store, WebhookDispatcher dispatcher)
    {
        var tenant = scope.Tenant;
        var delivery = await store.FindDeliveryAsync(tenant, id, deliveryId, context.RequestAborted);
        if (delivery is null)
        {
            return Problems.NotFound($"No delivery '{deliveryId}' of webhook '{id}' in tenant '{tenant}'.");
        }

        var again = await dispatcher.RedeliverAsync(delivery, context.RequestAborted);
        return Results.Json(Describe(again), AlertsJson.Api.DeliveryResponse, statusCode: 202);
    }

    private static IResult NotFound(string tenant, string id) => Problems.NotFound($"No webhook '{id}' in tenant '{tenant}'.");

    private static WebhookResponse Describe(Webhook w, bool showSecret) =>
        new(w.Id, w.Tenant, w.Url, w.EventTypes, w.Enabled, w.Description, showSecret ? w.Secret : null, w.CreatedAt, w.UpdatedAt);

    private static DeliveryResponse Describe(WebhookDelivery d) =>
        new(d.Id, d.WebhookId, d.MessageId, d.EventType, d.Status, d.Attempts, d.LastStatus, d.LastError, d.CreatedAt,
            d.Status == DeliveryStatuses.Pending ? d.NextAttemptAt : null, d.CompletedAt);
}

/// <summary>A webhook; <c>secret</c> appears only in the answer that set it.</summary>
internal sealed record WebhookResponse(
    string Id, string Tenant, string Url, IReadOnlyList<string> EventTypes, bool Enabled, string? Description, string? Secret,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record WebhookList(IReadOnlyList<WebhookResponse> Webhooks);

internal sealed record DeliveryResponse(
    string Id, string WebhookId, string MessageId, string EventType, string Status, int Attempts, int? LastStatus, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

internal sealed record DeliveryList(IReadOnlyList<DeliveryResponse> Deliveries);
