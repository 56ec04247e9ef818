using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Events;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Server.OpenApi;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Apis;

/// <summary>A tenant's webhook endpoints and their delivery history: <c>/v1/webhooks</c> (admin scope).</summary>
public static class WebhooksApi
{
    private const int DefaultDeliveries = 50;
    private static readonly string[] Fields = ["url", "secret", "event_types", "enabled", "description"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/webhooks").WithTags("Webhooks").WithTenantParameter().RequireAuthorization(Scopes.Admin);
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

    private static async Task<IResult> ListAsync(HttpContext context, IWebhookStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var webhooks = await store.ListWebhooksAsync(tenant, context.RequestAborted);
        return Results.Json(new WebhookList([.. webhooks.Select(w => Describe(w, showSecret: false))]), AlertsJson.Api.WebhookList);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, IWebhookStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var webhook = await store.FindWebhookAsync(tenant, id, context.RequestAborted);
        return webhook is null ? NotFound(tenant, id) : Results.Json(Describe(webhook, showSecret: false), AlertsJson.Api.WebhookResponse);
    }

    private static Task<IResult> CreateAsync(HttpContext context, IWebhookStore store, TimeProvider clock) => SaveAsync(context, null, store, clock);

    private static Task<IResult> ReplaceAsync(HttpContext context, string id, IWebhookStore store, TimeProvider clock) => SaveAsync(context, id, store, clock);

    private static async Task<IResult> SaveAsync(HttpContext context, string? id, IWebhookStore store, TimeProvider clock)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var ct = context.RequestAborted;
        var existing = id is null ? null : await store.FindWebhookAsync(tenant, id, ct);
        if (id is not null && existing is null)
        {
            return NotFound(tenant, id);
        }

        var (request, errors) = await ParseAsync(context);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var (webhook, newSecret) = await SaveWebhookAsync(tenant, existing, request!, store, clock, ct);
        return Results.Json(Describe(webhook, showSecret: newSecret is not null), AlertsJson.Api.WebhookResponse, statusCode: existing is null ? 201 : 200);
    }

    /// <summary>
    /// Saves a validated webhook as a new endpoint of the tenant, or in place of <paramref name="existing"/>;
    /// returns it with the secret that was set now (to be shown once), or null when the secret is unchanged.
    /// The API and the console's webhooks page both save through here.
    /// </summary>
    internal static async Task<(Webhook Webhook, string? NewSecret)> SaveWebhookAsync(
        string tenant, Webhook? existing, ParsedWebhook request, IWebhookStore store, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var newSecret = request.Secret ?? (existing is null ? WebhookSignature.NewSecret() : null);
        var webhook = new Webhook
        {
            Id = existing?.Id ?? WebhookDispatcher.NewId("wh_", now),
            Tenant = tenant,
            Url = request.Url,
            Secret = newSecret ?? existing!.Secret,
            EventTypes = request.EventTypes,
            Enabled = request.Enabled,
            Description = request.Description,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        await store.SaveWebhookAsync(webhook, ct);
        return (webhook, newSecret);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string id, IWebhookStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        return await store.DeleteWebhookAsync(tenant, id, context.RequestAborted) ? Results.NoContent() : NotFound(tenant, id);
    }

    private static async Task<IResult> DeliveriesAsync(HttpContext context, string id, IWebhookStore store)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

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

    private static async Task<IResult> RedeliverAsync(HttpContext context, string id, string deliveryId, IWebhookStore store, WebhookDispatcher dispatcher)
    {
        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var delivery = await store.FindDeliveryAsync(tenant, id, deliveryId, context.RequestAborted);
        if (delivery is null)
        {
            return Problems.NotFound($"No delivery '{deliveryId}' of webhook '{id}' in tenant '{tenant}'.");
        }

        var again = await dispatcher.RedeliverAsync(delivery, context.RequestAborted);
        return Results.Json(Describe(again), AlertsJson.Api.DeliveryResponse, statusCode: 202);
    }

    private static async Task<(ParsedWebhook? Request, List<ValidationError> Errors)> ParseAsync(HttpContext context)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return (null, [new("body", $"not valid JSON: {ex.Message}")]);
        }

        using (doc)
        {
            return doc.RootElement.ValueKind != JsonValueKind.Object ? (null, [new("body", "expected a JSON object")]) : Validate(doc.RootElement);
        }
    }

    /// <summary>A webhook's fields from a request, or the fields that are wrong. The console's webhooks page checks its form through here too.</summary>
    internal static (ParsedWebhook? Request, List<ValidationError> Errors) Validate(JsonElement root)
    {
        var errors = new List<ValidationError>();
        foreach (var property in root.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
        {
            errors.Add(new(property.Name, $"unknown field; the fields are {string.Join(", ", Fields)}"));
        }

        string? url = null;
        if (!root.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String)
        {
            errors.Add(new("url", "is required: an absolute http or https URL"));
        }
        else if (u.GetString()!.Length > 2000 || !Uri.TryCreate(u.GetString(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            errors.Add(new("url", "must be an absolute http or https URL of at most 2000 characters, without user info or fragment"));
        }
        else
        {
            url = uri.AbsoluteUri;
        }

        string? secret = null;
        if (root.TryGetProperty("secret", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind == JsonValueKind.String && WebhookSignature.IsValidSecret(s.GetString()))
            {
                secret = s.GetString();
            }
            else
            {
                errors.Add(new("secret", "must be whsec_ followed by the base64 of 24 to 64 random bytes, or left out to have one generated"));
            }
        }

        var types = new List<string>();
        if (!root.TryGetProperty("event_types", out var t) || t.ValueKind != JsonValueKind.Array || t.GetArrayLength() == 0)
        {
            errors.Add(new("event_types", $"is required: a non-empty array of {string.Join(", ", WebhookEventTypes.All)}"));
        }
        else
        {
            var i = 0;
            foreach (var item in t.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && WebhookEventTypes.All.Contains(item.GetString()))
                {
                    types.Add(item.GetString()!);
                }
                else
                {
                    errors.Add(new($"event_types[{i}]", $"must be one of {string.Join(", ", WebhookEventTypes.All)}"));
                }

                i++;
            }
        }

        var enabled = true;
        if (root.TryGetProperty("enabled", out var e))
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                enabled = e.GetBoolean();
            }
            else
            {
                errors.Add(new("enabled", "must be true or false"));
            }
        }

        string? description = null;
        if (root.TryGetProperty("description", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind == JsonValueKind.String && d.GetString()!.Length <= 500)
            {
                description = d.GetString();
            }
            else
            {
                errors.Add(new("description", "must be a string of at most 500 characters"));
            }
        }

        return errors.Count > 0 ? (null, errors) : (new ParsedWebhook(url!, secret, [.. types.Distinct()], enabled, description), errors);
    }

    private static IResult NotFound(string tenant, string id) => Problems.NotFound($"No webhook '{id}' in tenant '{tenant}'.");

    private static WebhookResponse Describe(Webhook w, bool showSecret) =>
        new(w.Id, w.Tenant, w.Url, w.EventTypes, w.Enabled, w.Description, showSecret ? w.Secret : null, w.CreatedAt, w.UpdatedAt);

    private static DeliveryResponse Describe(WebhookDelivery d) =>
        new(d.Id, d.WebhookId, d.MessageId, d.EventType, d.Status, d.Attempts, d.LastStatus, d.LastError, d.CreatedAt,
            d.Status == DeliveryStatuses.Pending ? d.NextAttemptAt : null, d.CompletedAt);

    /// <summary>A webhook as checked; <c>Secret</c> is null when none was given.</summary>
    internal sealed record ParsedWebhook(string Url, string? Secret, IReadOnlyList<string> EventTypes, bool Enabled, string? Description);
}

public sealed record WebhookRequest(string Url, string? Secret, IReadOnlyList<string> EventTypes, bool? Enabled, string? Description);

/// <summary>A webhook; <c>secret</c> appears only in the answer that set it.</summary>
public sealed record WebhookResponse(
    string Id, string Tenant, string Url, IReadOnlyList<string> EventTypes, bool Enabled, string? Description, string? Secret,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record WebhookList(IReadOnlyList<WebhookResponse> Webhooks);

public sealed record DeliveryResponse(
    string Id, string WebhookId, string MessageId, string EventType, string Status, int Attempts, int? LastStatus, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

public sealed record DeliveryList(IReadOnlyList<DeliveryResponse> Deliveries);
