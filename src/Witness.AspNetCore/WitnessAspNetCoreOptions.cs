using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Witness.AspNetCore;

/// <summary>Where the actor and the request context come from. Each claim list is tried in order; the first present claim wins.</summary>
public sealed class WitnessAspNetCoreOptions
{
    /// <summary>Claims naming the actor's id; default <c>sub</c>, then <see cref="ClaimTypes.NameIdentifier"/>.</summary>
    public IList<string> IdClaims { get; } = ["sub", ClaimTypes.NameIdentifier];

    /// <summary>Claims naming the actor's display name; default <c>name</c>, then <see cref="ClaimTypes.Name"/>.</summary>
    public IList<string> NameClaims { get; } = ["name", ClaimTypes.Name];

    /// <summary>Claims naming the actor's email; default <c>email</c>, then <see cref="ClaimTypes.Email"/>.</summary>
    public IList<string> EmailClaims { get; } = ["email", ClaimTypes.Email];

    /// <summary>Claims naming the actor's role; default <c>role</c>, then <see cref="ClaimTypes.Role"/>.</summary>
    public IList<string> RoleClaims { get; } = ["role", ClaimTypes.Role];

    /// <summary>The actor type of signed-in users; default <c>user</c>.</summary>
    public string ActorType { get; set; } = "user";

    /// <summary>
    /// The session id of a request. Default: the ASP.NET Core session's id when session state is on, else the
    /// <c>X-Session-Id</c> request header.
    /// </summary>
    public Func<HttpContext, string?> SessionId { get; set; } = DefaultSessionId;

    private static string? DefaultSessionId(HttpContext context)
    {
        var session = context.Features.Get<Microsoft.AspNetCore.Http.Features.ISessionFeature>()?.Session;
        if (session is { IsAvailable: true })
        {
            return session.Id;
        }

        var header = context.Request.Headers["X-Session-Id"].ToString();
        return header.Length == 0 ? null : header;
    }
}
