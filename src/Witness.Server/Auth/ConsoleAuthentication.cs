using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Auth;

/// <summary>
/// The console's session cookie, and the scheme that lets the read endpoints of the API accept either
/// an API key or that cookie. A request with an <c>Authorization</c> header is always judged by its
/// key, so API clients see exactly the API-key behavior (401/403 problem+json).
/// </summary>
internal static class ConsoleAuthentication
{
    public const string Scheme = "Console";
    public const string CookieName = "witness_console";

    /// <summary>The scheme of <c>events:read</c> endpoints: the API key when one is sent, else the console cookie when present.</summary>
    public const string ApiKeyOrConsoleScheme = "ApiKeyOrConsole";

    /// <summary>The default authentication of a request: the console session on the console's pages, the API key elsewhere.</summary>
    public const string PerPathScheme = "ConsoleOnConsolePaths";

    /// <summary>How long a session lasts without activity.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(8);

    /// <summary>The console user of a request whose session cookie was validated, stashed by <see cref="ValidateAsync"/>.</summary>
    private static readonly object UserItem = new();

    public static AuthenticationBuilder AddConsole(this AuthenticationBuilder builder, WitnessServerOptions options)
    {
        builder.AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            // Lax keeps a shared link to a filtered view working when opened from another site;
            // every request that changes state is a POST with an anti-forgery token.
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = IdleTimeout;
            cookie.SlidingExpiration = true;
            cookie.TimeProvider = options.Clock;
            cookie.LoginPath = "/console/sign-in";
            cookie.ReturnUrlParameter = "return";
            cookie.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                OnRedirectToLogin = context => IsApi(context.Request)
                    ? Problems.Write(context.HttpContext, 401, "Authentication required", "The console session has ended; sign in again, or send an API key as 'Authorization: Bearer <key>'.")
                    : Redirect(context),
                OnRedirectToAccessDenied = context => IsApi(context.Request)
                    ? Problems.Write(context.HttpContext, 403, "Missing permission", "Your console role does not have the View audit logs permission.")
                    : Redirect(context),
            };
        });
        // The console's pages are authenticated by the session cookie before any endpoint runs, so HttpContext.User is
        // the signed-in user when UseAntiforgery() checks a form's token, which is bound to the user it was issued to.
        // Everything else keeps the API key as its default; the stylesheet and script need no session.
        builder.AddPolicyScheme(PerPathScheme, null, policy => policy.ForwardDefaultSelector = context =>
            context.Request.Path.StartsWithSegments("/console") && !context.Request.Path.StartsWithSegments("/console/assets")
                ? Scheme
                : ApiKeyAuthenticationHandler.SchemeName);
        builder.Services.Configure<AuthenticationOptions>(o => o.DefaultAuthenticateScheme = PerPathScheme);
        builder.AddPolicyScheme(ApiKeyOrConsoleScheme, null, policy => policy.ForwardDefaultSelector = context =>
            context.Request.Headers.Authorization.Count == 0 && context.Request.Cookies.ContainsKey(CookieName)
                ? Scheme
                : ApiKeyAuthenticationHandler.SchemeName);
        return builder;
    }

    /// <summary>The signed-in console user of this request, or null. Sets <see cref="HttpContext.User"/> to the session's principal.</summary>
    public static async Task<ConsoleUser?> CurrentUserAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(Scheme);
        if (!result.Succeeded || context.Items[UserItem] is not ConsoleUser user)
        {
            return null;
        }

        context.User = result.Principal;
        return user;
    }

    /// <summary>Starts a session for <paramref name="user"/>: a session cookie (no fixed expiry) that ends after <see cref="IdleTimeout"/> idle.</summary>
    public static async Task SignInAsync(HttpContext context, ConsoleUser user)
    {
        var principal = ConsoleClaims.Principal(user, Scheme);
        await context.SignInAsync(Scheme, principal, new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });
        context.User = principal;
    }

    /// <summary>
    /// Ends the session on the server as well as in this browser: the user's session stamp is replaced
    /// in the store, so a copy of the cookie kept elsewhere no longer opens anything, on any instance.
    /// </summary>
    public static async Task SignOutAsync(HttpContext context, ConsoleUser user, IUserStore users)
    {
        await users.UpdateUserAsync(user with { SessionStamp = ConsoleUser.NewSessionStamp() }, context.RequestAborted);
        await context.SignOutAsync(Scheme);
    }

    /// <summary>
    /// Reloads the user on every request, so a removed user is signed out at once and a changed role
    /// or tenant applies to the next request rather than at the next sign-in. A cookie whose session
    /// stamp is no longer the user's (signed out, password changed) is refused.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(ConsoleClaims.UserIdClaim)?.Value;
        var stamp = context.Principal?.FindFirst(ConsoleClaims.SessionStampClaim)?.Value ?? "";
        var users = context.HttpContext.RequestServices.GetRequiredService<IUserStore>();
        var user = id is null ? null : await users.FindUserAsync(id, context.HttpContext.RequestAborted);
        if (user is null || !string.Equals(user.SessionStamp, stamp, StringComparison.Ordinal))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }

        context.HttpContext.Items[UserItem] = user;
        context.ReplacePrincipal(ConsoleClaims.Principal(user, Scheme));
    }

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/v1");

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
