using Microsoft.AspNetCore.Authorization;
using Witness.Access;

namespace Witness.Server.Auth;

/// <summary>
/// One authorization policy per scope, each satisfied by that scope or by <c>admin</c>. Reading
/// (<c>events:read</c>) also accepts a console session, whose role grants the scope.
/// </summary>
internal static class ScopePolicies
{
    public static void Add(AuthorizationOptions options)
    {
        foreach (var scope in Scopes.All)
        {
            options.AddPolicy(scope, policy => policy
                .AddAuthenticationSchemes(scope == Scopes.EventsRead ? ConsoleAuthentication.ApiKeyOrConsoleScheme : ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.FindAll(Caller.ScopeClaim).Any(c => c.Value == scope || c.Value == Scopes.Admin)));
        }
    }
}
