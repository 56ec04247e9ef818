using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Witness.Client;

namespace Witness.AspNetCore;

/// <summary>
/// The actor and context of the current HTTP request. The IP is <see cref="ConnectionInfo.RemoteIpAddress"/>, which is
/// the client's address once <c>app.UseForwardedHeaders()</c> has run for trusted proxies; the request id is the W3C
/// trace id when tracing is on, else <see cref="HttpContext.TraceIdentifier"/>. Outside a request both are null.
/// </summary>
internal sealed class HttpAuditContextAccessor(IHttpContextAccessor http, IOptions<WitnessAspNetCoreOptions> options) : IAuditContextAccessor
{
    public AuditActor? Actor => http.HttpContext is { } context ? ActorOf(context, options.Value) : null;

    public AuditContext? Context => http.HttpContext is { } context ? ContextOf(context, options.Value) : null;

    internal static AuditActor? ActorOf(HttpContext context, WitnessAspNetCoreOptions options)
    {
        var user = context.User;
        if (user.Identity is not { IsAuthenticated: true })
        {
            return null;
        }

        var email = First(user, options.EmailClaims);
        return new AuditActor
        {
            Type = options.ActorType,
            Id = First(user, options.IdClaims) ?? email,
            Name = First(user, options.NameClaims) ?? user.Identity.Name,
            Email = email,
            Role = First(user, options.RoleClaims),
        };
    }

    // Indexed loops rather than LINQ or FindFirst: this runs for every event recorded during a request, and enumerating
    // a principal's identities and claims through IEnumerable allocates an enumerator each time.
    private static string? First(ClaimsPrincipal user, IList<string> types)
    {
        for (var t = 0; t < types.Count; t++)
        {
            if (user.Identities is IList<ClaimsIdentity> identities)
            {
                for (var i = 0; i < identities.Count; i++)
                {
                    if (First(identities[i], types[t]) is { } value)
                    {
                        return value;
                    }
                }
            }
            else if (user.FindFirst(types[t])?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    private static string? First(ClaimsIdentity identity, string type)
    {
        if (identity.Claims is not IList<Claim> claims)
        {
            return identity.FindFirst(type)?.Value is { Length: > 0 } found ? found : null;
        }

        for (var i = 0; i < claims.Count; i++)
        {
            if (string.Equals(claims[i].Type, type, StringComparison.OrdinalIgnoreCase) && claims[i].Value.Length > 0)
            {
                return claims[i].Value;
            }
        }

        return null;
    }

    internal static AuditContext ContextOf(HttpContext context, WitnessAspNetCoreOptions options)
    {
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditContext
        {
            Ip = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length == 0 ? null : userAgent,
            RequestId = Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : context.TraceIdentifier,
            SessionId = options.SessionId(context),
        };
    }
}
