using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Configuration;

/// <summary>
/// A tenant's webhook endpoints: checks a webhook, saves it (a secret is generated for a new one when
/// none is given) and records the change in the tenant's log without the secret. <c>/v1/webhooks</c>
/// and the console's webhooks page both change webhooks only through here.
/// </summary>
internal sealed class WebhookService(IWebhookStore webhooks, TimeProvider clock, SystemEvents events)
{
    /// <summary>The fields of a webhook, as the API spells them.</summary>
    public static readonly string[] Fields = ["url", "secret", "event_types", "enabled", "description"];

    public Task<IReadOnlyList<Webhook>> ListAsync(string tenant, CancellationToken ct) => webhooks.ListWebhooksAsync(tenant, ct);

    public Task<Webhook?> FindAsync(string tenant, string id, CancellationToken ct) => webhooks.FindWebhookAsync(tenant, id, ct);

    /// <summary>Creates the webhook, or names every field that is wrong.</summary>
    public Task<ChangeResult<SavedWebhook>> CreateAsync(TenantScope scope, WebhookRequest request, CancellationToken ct) => SaveAsync(scope, null, request, ct);

    /// <summary>Replaces the webhook's url, event types, enabled and description; a secret given rotates it. Not found when the tenant has no such webhook.</summary>
    public async Task<ChangeResult<SavedWebhook>> ReplaceAsync(TenantScope scope, string id, WebhookRequest request, CancellationToken ct)
    {
        var existing = await webhooks.FindWebhookAsync(scope.Tenant, id, ct);
        return existing is null ? ChangeResult<SavedWebhook>.Missing : await SaveAsync(scope, existing, request, ct);
    }

    /// <summary>Deletes the webhook with its delivery history; false when the tenant has no such webhook.</summary>
    public async Task<bool> DeleteAsync(TenantScope scope, string id, CancellationToken ct)
    {
        var webhook = await webhooks.FindWebhookAsync(scope.Tenant, id, ct);
        if (webhook is null || !await webhooks.DeleteWebhookAsync(scope.Tenant, id, ct))
        {
            return false;
        }

        await ConfigurationChanges.WebhookAsync(events, scope.Tenant, webhook, null, secretReplaced: false, scope.Actor, scope.Request, ct);
        return true;
    }

    private async Task<ChangeResult<SavedWebhook>> SaveAsync(TenantScope scope, Webhook? existing, WebhookRequest request, CancellationToken ct)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return ChangeResult<SavedWebhook>.Invalid(errors);
        }

        var now = clock.GetUtcNow();
        var newSecret = request.Secret ?? (existing is null ? WebhookSignature.NewSecret() : null);
        var webhook = new Webhook
        {
            Id = existing?.Id ?? WebhookDispatcher.NewId("wh_", now),
            Tenant = scope.Tenant,
            Url = new Uri(request.Url!).AbsoluteUri,
            Secret = newSecret ?? existing!.Secret,
            EventTypes = [.. request.EventTypes!.Distinct().Select(t => t!)],
            Enabled = request.Enabled ?? true,
            Description = request.Description,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        await webhooks.SaveWebhookAsync(webhook, ct);
        await ConfigurationChanges.WebhookAsync(events, scope.Tenant, existing, webhook, newSecret is not null, scope.Actor, scope.Request, ct);
        return ChangeResult<SavedWebhook>.Saved(new SavedWebhook(webhook, newSecret));
    }

    private static List<ValidationError> Validate(WebhookRequest request)
    {
        var errors = new List<ValidationError>();
        foreach (var field in request.UnknownFields)
        {
            errors.Add(new(field, $"unknown field; the fields are {string.Join(", ", Fields)}"));
        }

        if (request.Url is null)
        {
            errors.Add(new("url", "is required: an absolute http or https URL"));
        }
        else if (request.Url.Length > 2000 || !Uri.TryCreate(request.Url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            errors.Add(new("url", "must be an absolute http or https URL of at most 2000 characters, without user info or fragment"));
        }

        if (request.WrongType.Contains("secret") || (request.Secret is not null && !WebhookSignature.IsValidSecret(request.Secret)))
        {
            errors.Add(new("secret", "must be whsec_ followed by the base64 of 24 to 64 random bytes, or left out to have one generated"));
        }

        if (request.EventTypes is not { Count: > 0 } types)
        {
            errors.Add(new("event_types", $"is required: a non-empty array of {string.Join(", ", WebhookEventTypes.All)}"));
        }
        else
        {
            for (var i = 0; i < types.Count; i++)
            {
                if (types[i] is null || !WebhookEventTypes.All.Contains(types[i]))
                {
                    errors.Add(new($"event_types[{i}]", $"must be one of {string.Join(", ", WebhookEventTypes.All)}"));
                }
            }
        }

        if (request.WrongType.Contains("enabled"))
        {
            errors.Add(new("enabled", "must be true or false"));
        }

        if (request.WrongType.Contains("description") || request.Description?.Length > 500)
        {
            errors.Add(new("description", "must be a string of at most 500 characters"));
        }

        return errors;
    }
}

/// <summary>A webhook as saved, with the secret set by this change (shown once), or null when the secret is unchanged.</summary>
internal sealed record SavedWebhook(Webhook Webhook, string? NewSecret);
