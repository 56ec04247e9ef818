using System.Security.Claims;
using Witness.Access;

namespace Witness.Server.Auth;

/// <summary>
/// Who is calling the API: the key's id (for a console session, the user's id), the tenant it is
/// bound to (null for a global key or a platform administrator) and its scopes.
/// </summary>
internal sealed record Caller(string KeyId, string? Tenant, IReadOnlyList<string> Scopes)
{
    public const string KeyIdClaim = "witness:key";
    public const string TenantClaim = "witness:tenant";
    public const string ScopeClaim = "witness:scope";

    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains(Access.Scopes.Admin);

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(KeyIdClaim) ?? user.FindFirstValue(ConsoleClaims.UserIdClaim)
            ?? throw new InvalidOperationException("the request is not authenticated with an API key or a console session"),
        user.FindFirstValue(TenantClaim),
        [.. user.FindAll(ScopeClaim).Select(c => c.Value)]);
}
