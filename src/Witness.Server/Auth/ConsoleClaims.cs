using System.Security.Claims;
using Witness.Access;
using Witness.Events;

namespace Witness.Server.Auth;

/// <summary>
/// The claims of a console session. A session carries the same tenant and scope claims as an API
/// key (<see cref="Caller"/>), so the read endpoints of <c>/v1/events</c> authorize both alike: a
/// user whose role may view audit logs gets <c>events:read</c> for their tenant (a platform
/// administrator for every tenant, naming it with <c>?tenant=</c> like a global key); a Member gets no scope.
/// </summary>
internal static class ConsoleClaims
{
    public const string UserIdClaim = "witness:user";
    public const string EmailClaim = "witness:email";
    public const string NameClaim = "witness:name";
    public const string RoleClaim = "witness:role";
    public const string SessionStampClaim = "witness:stamp";

    /// <summary>The principal of a signed-in user, built afresh from the stored user on every request.</summary>
    public static ClaimsPrincipal Principal(ConsoleUser user, string authenticationType)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.Email),
            new(UserIdClaim, user.Id),
            new(EmailClaim, user.Email),
            new(NameClaim, user.DisplayName),
            new(RoleClaim, user.Role),
            new(SessionStampClaim, user.SessionStamp),
        };
        if (user.Tenant is not null)
        {
            claims.Add(new Claim(Caller.TenantClaim, user.Tenant));
        }

        if (ConsoleRoles.CanViewAuditLogs(user.Role))
        {
            claims.Add(new Claim(Caller.ScopeClaim, Scopes.EventsRead));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }

    /// <summary>The actor recorded when a console user reads the log, or null when the principal is not a console session.</summary>
    public static EventActor? Actor(ClaimsPrincipal principal) =>
        principal.FindFirstValue(UserIdClaim) is { } id
            ? new EventActor
            {
                Type = ActorTypes.User,
                Id = id,
                Email = principal.FindFirstValue(EmailClaim),
                Name = principal.FindFirstValue(NameClaim),
                Role = principal.FindFirstValue(RoleClaim),
            }
            : null;

    /// <summary>The actor of a console user, as recorded in the tenant's log.</summary>
    public static EventActor Actor(ConsoleUser user) => new()
    {
        Type = ActorTypes.User,
        Id = user.Id,
        Email = user.Email,
        Name = user.DisplayName,
        Role = user.Role,
    };
}
