using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HelpDesk;

/// <summary>
/// Sample only: whoever names an email in the <c>X-Demo-User</c> header is signed in as that user. A real app uses its
/// own sign-in; Witness.AspNetCore reads the actor from whatever claims it produces.
/// </summary>
internal sealed class DemoSignIn(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Demo";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var email = Request.Headers["X-Demo-User"].ToString().Trim();
        if (email.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!email.Contains('@', StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.Fail("X-Demo-User is an email address."));
        }

        var name = email[..email.IndexOf('@', StringComparison.Ordinal)];
        var identity = new ClaimsIdentity(
            [new Claim("sub", email), new Claim("email", email), new Claim("name", name), new Claim("role", "Administrator")],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
