using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>The sign-in form: email and password, an anti-forgery token, and where to go after.</summary>
internal static class SignInPage
{
    public static Task RenderAsync(HttpContext context, ConsoleAssets assets, AntiforgeryTokenSet tokens, int status, string? email, string? returnUrl, string? error, string? notice)
    {
        var html = new HtmlWriter();
        PageShell.Begin(html, assets, "Sign in · Witness", "signin");
        html.Open("main", ("class", "signin-wrap"))
            .Open("div", ("class", "signin-card"))
            .Open("div", ("class", "signin-brand")).Markup(Icons.Logo).Element("span", "Witness").Close("div")
            .Element("h1", "Sign in to Audit Logs")
            .Element("p", "Use the account your administrator created for you.", ("class", "lede"));
        if (error is not null)
        {
            html.Open("div", ("class", "alert alert-error"), ("role", "alert")).Markup(Icons.Warning).Element("div", error).Close("div");
        }
        else if (notice is not null)
        {
            html.Open("div", ("class", "alert alert-info"), ("role", "status")).Element("div", notice).Close("div");
        }

        html.Open("form", ("method", "post"), ("action", "/console/sign-in"), ("class", "signin-form"))
            .Void("input", ("type", "hidden"), ("name", tokens.FormFieldName), ("value", tokens.RequestToken))
            .Void("input", ("type", "hidden"), ("name", "return"), ("value", returnUrl))
            .Open("label", ("class", "field")).Element("span", "Email")
            .Void("input", ("type", "email"), ("name", "email"), ("value", email), ("autocomplete", "username"), ("required", ""), ("autofocus", email is null ? "" : null))
            .Close("label")
            .Open("label", ("class", "field")).Element("span", "Password")
            .Void("input", ("type", "password"), ("name", "password"), ("autocomplete", "current-password"), ("required", ""), ("autofocus", email is null ? null : ""))
            .Close("label")
            .Element("button", "Sign in", ("class", "btn btn-primary btn-block"), ("type", "submit"))
            .Close("form")
            .Close("div")
            .Element("p", "Protected by Witness · tamper-evident audit logs", ("class", "signin-foot"))
            .Close("main");
        return PageShell.EndAsync(html, context, status);
    }
}
