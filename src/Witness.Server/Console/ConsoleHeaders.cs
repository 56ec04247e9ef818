using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>
/// The security headers of every console and viewer page. The Content-Security-Policy allows only
/// this server's stylesheet and script (no inline script or style at all), so even markup that
/// slipped through encoding could not run. The console cannot be framed; the embeddable viewer can,
/// by the origins the operator allows.
/// </summary>
internal static class ConsoleHeaders
{
    private const string Common =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'";

    public static void ForConsole(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = $"{Common}; frame-ancestors 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        Shared(response);
    }

    /// <summary>The viewer: framable by <paramref name="frameAncestors"/>, and it never sends its URL (which holds the token) as a referrer.</summary>
    public static void ForEmbed(HttpResponse response, string frameAncestors)
    {
        response.Headers.ContentSecurityPolicy = $"{Common}; frame-ancestors {frameAncestors}";
        response.Headers["Referrer-Policy"] = "no-referrer";
        Shared(response);
    }

    private static void Shared(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        // The value the framework's antiforgery sets on every page with a form: any other is overridden with a warning in the log.
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
    }
}
