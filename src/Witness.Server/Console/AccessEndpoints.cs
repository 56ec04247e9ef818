using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Witness.Access;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// <c>/console/settings/access</c> for Administrators (<see cref="SettingsScope"/>): the tenant's users and
/// API keys. Only users and keys of the scope's tenant are found; an administrator cannot demote or
/// remove themselves, so a workspace is never left without one by accident.
/// </summary>
internal static class AccessEndpoints
{
    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet("/access", PageAsync);
        settings.MapPost("/access/users/{id}/role", SetRoleAsync);
        settings.MapPost("/access/users/{id}/password", SetPasswordAsync);
        settings.MapPost("/access/users/{id}/remove", RemoveAsync);
        settings.MapPost("/access/keys/{id}/revoke", RevokeAsync);
    }

    private static async Task PageAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IUserStore users)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() switch
        {
            "role" => "Role saved. It applies from the user's next request.",
            "password" => "Password set. The user's open sessions have ended.",
            "removed" => "User removed. Their sessions have ended.",
            "revoked" => "Key revoked. Requests with it are refused.",
            _ => null,
        };
        await RenderAsync(context, assets, scope, store, users, null, notice, 200);
    }

    private static Task SetRoleAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IUserStore users, AccessChanges changes) =>
        ChangeUserAsync(context, id, antiforgery, assets, store, users, "role", async (scope, user, form) =>
        {
            if (user.Id == scope.User.Id)
            {
                return "You cannot change your own role; ask another administrator.";
            }

            await changes.SetRoleAsync(user, form["role"].ToString(), ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted);
            return null;
        });

    private static Task SetPasswordAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IUserStore users, AccessChanges changes) =>
        ChangeUserAsync(context, id, antiforgery, assets, store, users, "password", async (scope, user, form) =>
        {
            await changes.SetPasswordAsync(user, form["password"].ToString(), ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted);
            return null;
        });

    private static Task RemoveAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IUserStore users, AccessChanges changes) =>
        ChangeUserAsync(context, id, antiforgery, assets, store, users, "removed", async (scope, user, _) =>
        {
            if (user.Id == scope.User.Id)
            {
                return "You cannot remove yourself; ask another administrator.";
            }

            await changes.RemoveUserAsync(user, ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted);
            return null;
        });

    private static async Task RevokeAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, AccessChanges changes, TimeProvider clock)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var keys = (IApiKeyStore)store;
        var key = (await keys.ListApiKeysAsync(scope.Tenant, context.RequestAborted)).FirstOrDefault(k => k.KeyId == id && k.RevokedAt is null);
        if (key is null || !await changes.RevokeKeyAsync(key, clock.GetUtcNow(), ConsoleClaims.Actor(scope.User), RequestContext.Of(context), context.RequestAborted))
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such key", "It may have been revoked already.", Icons.Warning);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/access", ("saved", "revoked")));
    }

    private static async Task ChangeUserAsync(
        HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, IUserStore users, string saved,
        Func<SettingsScope, ConsoleUser, IFormCollection, Task<string?>> change)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var user = await users.FindUserAsync(id, context.RequestAborted);
        if (user is null || user.Tenant != scope.Tenant)
        {
            await MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such user", "They may have been removed already.", Icons.Warning);
            return;
        }

        string? refused;
        try
        {
            refused = await change(scope, user, await context.Request.ReadFormAsync(context.RequestAborted));
        }
        catch (ArgumentException ex)
        {
            refused = ex.Message.Split(" (Parameter")[0] + ".";
        }

        if (refused is not null)
        {
            await RenderAsync(context, assets, scope, store, users, refused, null, 400);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/access", ("saved", saved)));
    }

    private static async Task RenderAsync(HttpContext context, ConsoleAssets assets, SettingsScope scope, IWitnessStore store, IUserStore users, string? error, string? notice, int status)
    {
        var ct = context.RequestAborted;
        var zone = TenantZone.Of(await store.GetSettingsAsync(scope.Tenant, ct));
        var keys = store is IApiKeyStore keyStore ? await keyStore.ListApiKeysAsync(scope.Tenant, ct) : [];
        await AccessPage.RenderAsync(context, assets, scope, await users.ListUsersAsync(scope.Tenant, ct), keys, zone, error, notice, status);
    }

    private static void SeeOther(HttpContext context, string url)
    {
        context.Response.Redirect(url);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }
}
