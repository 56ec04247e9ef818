using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Witness.Access;
using Witness.Events;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// An Administrator on a settings page and the tenant whose settings it shows: the user's own
/// tenant, or for a platform administrator the one named in <c>?tenant=</c> (the first tenant when
/// none is named). <see cref="ResolveAsync"/> answers everyone else itself, with no settings data.
/// </summary>
public sealed record SettingsScope(ConsoleUser User, string Tenant, ConsoleChrome Chrome)
{
    /// <summary><paramref name="path"/> on this tenant: a platform administrator's links carry the tenant.</summary>
    public string Url(string path, params (string Name, string? Value)[] query) =>
        AuditLogView.Build(path, User.IsPlatformAdministrator ? [("tenant", Tenant), .. query] : query);

    /// <summary>The user acting on the tenant, as the services that change its configuration take it.</summary>
    public TenantScope Acting(HttpContext context) => new(Tenant, ConsoleClaims.Actor(User), RequestContext.Of(context));

    /// <summary>
    /// The scope of this request, or null once the response is written: a redirect to sign in, a
    /// permission page for Auditors and Members, an error page for an expired form or an unknown tenant.
    /// </summary>
    internal static async Task<SettingsScope?> ResolveAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, bool isPost)
    {
        ConsoleHeaders.ForConsole(context.Response);
        var user = await ConsoleAuthentication.CurrentUserAsync(context);
        if (user is null)
        {
            var back = isPost ? "/console/settings" : context.Request.Path + context.Request.QueryString;
            context.Response.Redirect(AuditLogView.Build("/console/sign-in", [("return", back)]));
            return null;
        }

        var valid = !isPost || await ConsoleForms.IsTokenValidAsync(context, antiforgery);
        var tokens = antiforgery.GetAndStoreTokens(context);
        if (!ConsoleRoles.CanManageSettings(user.Role))
        {
            await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, [], user.Tenant, tokens), 403,
                "You need the Manage settings permission",
                $"Your role, {user.Role}, does not include the Manage settings permission. Ask an administrator of your workspace to change retention, alert rules or webhooks.");
            return null;
        }

        string tenant;
        IReadOnlyList<string> tenants = [];
        var requested = context.Request.Query["tenant"].ToString();
        if (user.Tenant is not null)
        {
            tenant = user.Tenant;
        }
        else
        {
            tenants = [.. (await store.ListTenantsAsync(context.RequestAborted)).Order(StringComparer.Ordinal)];
            if ((requested.Length > 0 && !EventParser.IsValidTenant(requested)) || (requested.Length == 0 && tenants.Count == 0))
            {
                await MessagePage.RenderAsync(context, assets, new ConsoleChrome(user, tenants, null, tokens), 400,
                    "No such tenant", "Open the settings of a tenant that has sent events.", Icons.Warning);
                return null;
            }

            tenant = requested.Length > 0 ? requested : tenants[0];
        }

        var chrome = new ConsoleChrome(user, tenants, tenant, tokens) { Section = ConsoleSection.Settings };
        if (!valid)
        {
            await MessagePage.RenderAsync(context, assets, chrome, 400,
                "This form has expired", "Nothing was changed. Go back, reload the page and try again.", Icons.Warning);
            return null;
        }

        return new SettingsScope(user, tenant, chrome);
    }
}
