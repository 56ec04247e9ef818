using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Witness.Access;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer wk_…</c>. No or unknown key answers 401, a key without
/// the endpoint's scope 403, both as problem+json.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IWitnessStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("the Authorization header must be 'Bearer <api key>'");
        }

        if (!ApiKeys.TryParse(header["Bearer ".Length..].Trim(), out var keyId, out var secret))
        {
            return AuthenticateResult.Fail("the API key is malformed");
        }

        var record = await store.FindApiKeyAsync(keyId, Context.RequestAborted);
        if (record is null || !ApiKeys.Matches(record, secret))
        {
            return AuthenticateResult.Fail("the API key is not valid");
        }

        var claims = new List<Claim> { new(Caller.KeyIdClaim, record.KeyId) };
        if (record.Tenant is not null)
        {
            claims.Add(new Claim(Caller.TenantClaim, record.Tenant));
        }

        claims.AddRange(record.Scopes.Select(s => new Claim(Caller.ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, 401, "Authentication required", "Send an API key as 'Authorization: Bearer <key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // The endpoint's policy is named after its scope (ScopePolicies), so the answer can say which one is missing.
        var scope = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().LastOrDefault(a => a.Policy is not null)?.Policy;
        return scope is null
            ? Problems.Write(Context, 403, "Missing scope", "This API key does not have the scope this endpoint needs.")
            : Problems.Write(Context, 403, "Missing scope", $"This API key lacks the scope '{scope}'{(scope == Scopes.Admin ? "" : " (or 'admin')")} that {Request.Method} {Request.Path} needs.");
    }
}
