using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Events;
using Witness.Server.Auth;
using Witness.Server.Console;
using Witness.Server.Http;

namespace Witness.Server.Apis;

/// <summary><c>POST /v1/viewer-tokens</c>: a short-lived link to the read-only viewer of one tenant's audit log, for an iframe.</summary>
internal static class ViewerTokensApi
{
    private const int MaxBodyBytes = 4096;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/viewer-tokens", IssueAsync).RequireAuthorization(Scopes.Admin).WithTags("Console")
            .WithSummary("A short-lived, tenant-bound URL of the embeddable audit-log viewer. Body (optional): {\"tenant\": \"…\" (required with a global key), \"ttl_seconds\": 900 (1–86400)}.")
            .Accepts<ViewerTokenRequest>(isOptional: true, "application/json")
            .Produces<ViewerTokenResponse>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(413);
    }

    private static async Task<IResult> IssueAsync(HttpContext context, ViewerTokens tokens)
    {
        var caller = Caller.From(context.User);
        string? tenant = null;
        var ttl = ViewerTokens.DefaultLifetime;
        var body = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < body.Length && (read = await context.Request.Body.ReadAsync(body.AsMemory(length), context.RequestAborted)) > 0)
        {
            length += read;
        }

        if (length > MaxBodyBytes)
        {
            return Problems.Result(413, "Request too large", $"The body may be at most {MaxBodyBytes} bytes.");
        }

        // No body at all asks for the defaults: the key's own tenant, 15 minutes.
        if (length > 0)
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(body.AsMemory(0, length));
            }
            catch (JsonException ex)
            {
                return Problems.Invalid("body", $"not valid JSON: {ex.Message}");
            }

            using (doc)
            {
                if (JsonUnicode.FindInvalidText(doc.RootElement) is { } notText)
                {
                    return Problems.Invalid(notText, JsonUnicode.Message);
                }

                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Problems.Invalid("body", "expected a JSON object");
                }

                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "tenant" when property.Value.ValueKind == JsonValueKind.String && EventParser.IsValidTenant(property.Value.GetString()):
                            tenant = property.Value.GetString();
                            break;
                        case "tenant":
                            return Problems.Invalid("tenant", "must be 1–64 characters of A-Z a-z 0-9 . _ -");
                        case "ttl_seconds" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var seconds)
                                                && seconds >= 1 && seconds <= ViewerTokens.MaxLifetime.TotalSeconds:
                            ttl = TimeSpan.FromSeconds(seconds);
                            break;
                        case "ttl_seconds":
                            return Problems.Invalid("ttl_seconds", $"must be a whole number of seconds from 1 to {ViewerTokens.MaxLifetime.TotalSeconds:0}");
                        default:
                            return Problems.Invalid(property.Name, "unknown field; the fields are tenant and ttl_seconds");
                    }
                }
            }
        }

        if (caller.Tenant is not null)
        {
            if (tenant is not null && tenant != caller.Tenant)
            {
                return Problems.Result(403, "Wrong tenant", $"This API key is bound to tenant '{caller.Tenant}' and cannot make a viewer for '{tenant}'.");
            }

            tenant = caller.Tenant;
        }
        else if (tenant is null)
        {
            return Problems.Invalid("tenant", "is required with a global API key");
        }

        var (token, expiresAt) = tokens.Issue(tenant, caller.KeyId, ttl);
        var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/embed?token={Uri.EscapeDataString(token)}";
        return Results.Json(new ViewerTokenResponse(url, token, tenant, expiresAt), WitnessJson.Api.ViewerTokenResponse, statusCode: 201);
    }
}

/// <summary>The viewer's URL (to put in an iframe), the token alone, its tenant and when it stops working.</summary>
/// <summary>The optional body of <c>POST /v1/viewer-tokens</c>: the tenant (required with a global key) and the token's lifetime (1–86400 s, default 900).</summary>
internal sealed record ViewerTokenRequest(string? Tenant, int? TtlSeconds);

internal sealed record ViewerTokenResponse(string Url, string Token, string Tenant, DateTimeOffset ExpiresAt);
