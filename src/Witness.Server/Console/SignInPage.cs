using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Witness.Server.Console.Components;

namespace Witness.Server.Console;

/// <summary>The sign-in form: email and password, an anti-forgery token, and where to go after. Drawn by <see cref="SignInView"/>.</summary>
internal static class SignInPage
{
    public static Task RenderAsync(HttpContext context, ConsoleAssets assets, AntiforgeryTokenSet tokens, int status, string? email, string? returnUrl, string? error, string? notice) =>
        ConsoleComponents.RenderAsync<SignInView>(context, status, new()
        {
            [nameof(SignInView.Tokens)] = tokens,
            [nameof(SignInView.Email)] = email,
            [nameof(SignInView.ReturnUrl)] = returnUrl,
            [nameof(SignInView.Error)] = error,
            [nameof(SignInView.Notice)] = notice,
        });
}
