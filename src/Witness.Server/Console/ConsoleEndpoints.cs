using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The web console (SPEC §6): <c>/console</c> (the Audit Logs page), <c>/console/sign-in</c>,
/// <c>/console/sign-out</c>, <c>/console/assets/*</c>, the Administrators' <c>/console/settings/*</c>
/// (<see cref="SettingsEndpoints"/>) and the embeddable viewer <c>/embed?token=…</c>.
/// Every page carries <see cref="ConsoleHeaders"/>; every POST needs an anti-forgery token
/// (<c>UseAntiforgery()</c>, read by <see cref="ConsoleForms"/>).
/// </summary>
internal static class ConsoleEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/console")).ExcludeFromDescription();
        // Every console POST needs the framework's anti-forgery token (UseAntiforgery), checked against the signed-in user.
        var console = app.MapGroup("/console").ExcludeFromDescription().WithMetadata(new RequireAntiforgeryTokenAttribute());
        console.MapGet("/assets/{name}", (string name, HttpContext context, ConsoleAssets assets) => assets.Serve(name, context));
        console.MapGet("/sign-in", SignInFormAsync);
        console.MapPost("/sign-in", SignInAsync);
        console.MapPost("/sign-out", SignOutAsync);
        console.MapGet("", AuditLogAsync);
        SettingsEndpoints.Map(console);
        app.MapGet("/embed", EmbedAsync).ExcludeFromDescription();
    }

    private static async Task SignInFormAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets)
    {
        ConsoleHeaders.ForConsole(context.Response);
        var returnUrl = LocalReturnUrl(context.Request.Query["return"]);
        if (await ConsoleAuthentication.CurrentUserAsync(context) is not null)
        {
            context.Response.Redirect(returnUrl ?? "/console");
            return;
        }

        var notice = context.Request.Query.ContainsKey("signed_out") ? "You have signed out." : null;
        await SignInPage.RenderAsync(context, assets, antiforgery.GetAndStoreTokens(context), 200, null, returnUrl, null, notice);
    }

    private static async Task SignInAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IUserStore users, ConsoleAccessLog accessLog, SignInThrottle throttle)
    {
        ConsoleHeaders.ForConsole(context.Response);
        // Checked before the form is read: the framework refuses to read a form whose token it found invalid.
        if (!await ConsoleForms.IsTokenValidAsync(context, antiforgery))
        {
            // The middleware checks forms only, so a body with no check result is no form at all.
            var isForm = context.Features.Get<IAntiforgeryValidationFeature>() is not null || context.Request.HasFormContentType;
            await SignInPage.RenderAsync(context, assets, antiforgery.GetAndStoreTokens(context), 400, null, null,
                isForm ? "The form expired. Please sign in again." : "Send the sign-in form.", null);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var email = form["email"].ToString().Trim();
        var password = form["password"].ToString();
        var returnUrl = LocalReturnUrl(form["return"]);

        // Refused before the password is hashed or anything is recorded, so guessing costs neither CPU nor the tenant's log.
        var address = context.Connection.RemoteIpAddress;
        if (await throttle.RetryAfterAsync(email, address, context.RequestAborted) is { } wait)
        {
            var minutes = Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes));
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await SignInPage.RenderAsync(context, assets, antiforgery.GetAndStoreTokens(context), 429, email, returnUrl,
                $"Too many failed sign-ins. Try again in {minutes} minute{(minutes == 1 ? "" : "s")}.", null);
            return;
        }

        var user = email.Length is > 0 and <= 254 ? await users.FindUserByEmailAsync(email, context.RequestAborted) : null;
        if (user is null)
        {
            PasswordHash.SpendVerificationTime(password);
            if (await throttle.RecordFailureAsync(email, address, context.RequestAborted))
            {
                accessLog.UnknownEmail(email, RequestContext.Of(context));
            }
        }
        else if (user.Password.Matches(password))
        {
            await throttle.ClearAccountAsync(email, context.RequestAborted);
            await ConsoleAuthentication.SignInAsync(context, user);
            await accessLog.RecordAsync(user, BuiltInActions.ConsoleSignIn, RequestContext.Of(context), null, context.RequestAborted);
            context.Response.Redirect(returnUrl ?? "/console");
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            return;
        }
        else if (await throttle.RecordFailureAsync(email, address, context.RequestAborted))
        {
            await accessLog.RecordAsync(user, BuiltInActions.ConsoleSignInFailed, RequestContext.Of(context), "Wrong password", context.RequestAborted);
        }

        await SignInPage.RenderAsync(context, assets, antiforgery.GetAndStoreTokens(context), 401, email, returnUrl, "The email or password is not correct.", null);
    }

    private static async Task SignOutAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAccessLog accessLog, IUserStore users)
    {
        ConsoleHeaders.ForConsole(context.Response);
        var user = await ConsoleAuthentication.CurrentUserAsync(context);
        if (user is not null && await ConsoleForms.IsTokenValidAsync(context, antiforgery))
        {
            await accessLog.RecordAsync(user, BuiltInActions.ConsoleSignOut, RequestContext.Of(context), null, context.RequestAborted);
            await ConsoleAuthentication.SignOutAsync(context, user, users);
            context.Response.Redirect("/console/sign-in?signed_out=1");
        }
        else
        {
            context.Response.Redirect(user is null ? "/console/sign-in" : "/console");
        }

        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    private static async Task AuditLogAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, AuditLogPage page, ReadAuditor auditor)
    {
        ConsoleHeaders.ForConsole(context.Response);
        var user = await ConsoleAuthentication.CurrentUserAsync(context);
        if (user is null)
        {
            context.Response.Redirect(AuditLogView.Build("/console/sign-in", [("return", context.Request.Path + context.Request.QueryString)]));
            return;
        }

        var tokens = antiforgery.GetAndStoreTokens(context);
        var requested = context.Request.Query["tenant"].ToString();
        if (!ConsoleRoles.CanViewAuditLogs(user.Role))
        {
            await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, [], user.Tenant, tokens), 403,
                "You need the View audit logs permission",
                $"Your role, {user.Role}, does not include the View audit logs permission. Ask an administrator of your workspace for the Auditor or Administrator role.");
            return;
        }

        string tenant;
        IReadOnlyList<string> tenants = [];
        if (user.Tenant is not null)
        {
            if (requested.Length > 0 && requested != user.Tenant)
            {
                await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, [], user.Tenant, tokens), 403,
                    "This audit log belongs to another workspace",
                    $"Your account can only see the audit log of {user.Tenant}.");
                return;
            }

            tenant = user.Tenant;
        }
        else
        {
            tenants = [.. (await store.ListTenantsAsync(context.RequestAborted)).Order(StringComparer.Ordinal)];
            if (requested.Length > 0 && !EventParser.IsValidTenant(requested))
            {
                await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, tenants, null, tokens), 400,
                    "No such tenant", "A tenant name is 1–64 characters of A-Z a-z 0-9 . _ -.", Icons.Warning);
                return;
            }

            if (requested.Length == 0 && tenants.Count == 0)
            {
                await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, tenants, null, tokens), 200,
                    "No tenants yet", "As soon as your product sends its first event, its tenant appears here.", Icons.Inbox);
                return;
            }

            tenant = requested.Length > 0 ? requested : tenants[0];
            if (!tenants.Contains(tenant))
            {
                tenants = [.. tenants, tenant];
            }
        }

        var carried = user.Tenant is null ? new[] { ("tenant", tenant) } : [];
        var view = AuditLogView.Read(context.Request.Query, "/console", tenant, carried);
        await page.RenderAsync(context, view, new ConsoleChrome(user, tenants, tenant, tokens));
        await auditor.RecordViewAsync(tenant, ConsoleClaims.Actor(user), RequestContext.Of(context), context.RequestAborted);
    }

    private static async Task EmbedAsync(HttpContext context, ViewerTokens viewerTokens, ConsoleAssets assets, AuditLogPage page, ReadAuditor auditor, WitnessServerOptions options)
    {
        ConsoleHeaders.ForEmbed(context.Response, options.EmbedFrameAncestors);
        var token = context.Request.Query["token"].ToString();
        var check = viewerTokens.Check(token);
        if (check.Status != ViewerTokenStatus.Valid)
        {
            var expired = check.Status == ViewerTokenStatus.Expired;
            await MessagePage.RenderAsync(context, assets, null, 401,
                expired ? "This viewer link has expired" : "This viewer link is not valid",
                expired ? "Viewer links last a few minutes. Reload the page that shows this audit log to get a new one." : "Open the audit log from your product's settings page to get a working link.");
            return;
        }

        var grant = check.Grant!;
        var view = AuditLogView.Read(context.Request.Query, "/embed", grant.Tenant, [("token", token)]);
        await page.RenderAsync(context, view, null);
        var reader = new EventActor { Type = ActorTypes.ApiKey, Id = grant.IssuedBy, Name = "Embedded viewer" };
        await auditor.RecordViewAsync(grant.Tenant, reader, RequestContext.Of(context), context.RequestAborted);
    }

    /// <summary>
    /// A return address on this server (a path, not <c>//host</c> or <c>/\host</c>), else null. A
    /// Location header holds ASCII only, so anything else in it (<c>café</c>, an ideographic space)
    /// is percent-encoded as UTF-8, as a browser would send it.
    /// </summary>
    private static string? LocalReturnUrl(string? url)
    {
        if (url is not { Length: > 1 and <= 4096 } || url[0] != '/' || url[1] is '/' or '\\' || url.Any(char.IsControl))
        {
            return null;
        }

        if (Ascii.IsValid(url))
        {
            return url;
        }

        var ascii = new StringBuilder(url.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in url.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                ascii.Append((char)rune.Value);
                continue;
            }

            // A lone surrogate comes out as U+FFFD: what the request would have held had it been sent as UTF-8.
            var length = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..length])
            {
                ascii.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return ascii.ToString();
    }
}
