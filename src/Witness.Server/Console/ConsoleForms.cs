using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>The anti-forgery check of a console form post.</summary>
internal static class ConsoleForms
{
    /// <summary>
    /// Whether the post's anti-forgery token is valid for the signed-in user (or for no one, at sign-in), as the
    /// framework's <c>UseAntiforgery()</c> found it before the handler ran: the console group requires it, and the
    /// console cookie is authenticated by then (<c>ConsoleAuthentication.PerPathScheme</c>), so the token is checked
    /// against the user it was issued to. A post the middleware left unchecked (not a form, or an endpoint that opted
    /// out) is checked here, so a handler never reads a form whose token was not checked. Call it before reading the
    /// form: once the middleware has found a token invalid, reading the form throws.
    /// </summary>
    public static async Task<bool> IsTokenValidAsync(HttpContext context, IAntiforgery antiforgery) =>
        context.Features.Get<IAntiforgeryValidationFeature>() is { } checkedByMiddleware
            ? checkedByMiddleware.IsValid
            : await antiforgery.IsRequestValidAsync(context);
}
