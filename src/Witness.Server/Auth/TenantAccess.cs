using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Auth;

/// <summary>
/// Which tenant a read or admin request is about: a bound key's own tenant (naming another is 403),
/// or for a global key the <c>tenant</c> query parameter, which it must give.
/// </summary>
internal static class TenantAccess
{
    public static bool TryResolve(HttpContext context, out string tenant, out IResult? error)
    {
        var caller = Caller.From(context.User);
        var requested = context.Request.Query["tenant"].ToString();
        tenant = "";
        error = null;
        if (caller.Tenant is not null)
        {
            if (requested.Length > 0 && requested != caller.Tenant)
            {
                error = Problems.Result(403, "Wrong tenant", $"This API key is bound to tenant '{caller.Tenant}' and cannot read '{requested}'.");
                return false;
            }

            tenant = caller.Tenant;
            return true;
        }

        if (requested.Length == 0)
        {
            error = Problems.Invalid("tenant", "is required with a global API key");
            return false;
        }

        if (!EventParser.IsValidTenant(requested))
        {
            error = Problems.Invalid("tenant", "must be 1–64 characters of A-Z a-z 0-9 . _ -");
            return false;
        }

        tenant = requested;
        return true;
    }

    /// <summary>
    /// A 404 when a global key names a tenant the store has no log of (a typo must not create a
    /// tenant through the read being recorded); null when the read may go on. A bound key's own tenant
    /// always may.
    /// </summary>
    public static async Task<IResult?> UnknownTenantAsync(HttpContext context, string tenant, IWitnessStore store)
    {
        if (Caller.From(context.User).Tenant is not null || await store.GetFrontierAsync(tenant, context.RequestAborted) is not null)
        {
            return null;
        }

        return Problems.Result(404, "Unknown tenant", $"No tenant named '{tenant}' has events; GET /v1/tenants lists the tenants.");
    }
}
