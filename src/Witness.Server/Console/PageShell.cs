using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>The document around every console page: head, assets, body; and writing it out.</summary>
internal static class PageShell
{
    public static void Begin(HtmlWriter html, ConsoleAssets assets, string title, string bodyClass)
    {
        html.Markup("<!DOCTYPE html>").Open("html", ("lang", "en")).Open("head")
            .Void("meta", ("charset", "utf-8"))
            .Void("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"))
            .Void("meta", ("name", "robots"), ("content", "noindex, nofollow"))
            .Element("title", title)
            .Void("link", ("rel", "icon"), ("href", "data:,"))
            .Void("link", ("rel", "stylesheet"), ("href", assets.Url("console.css")))
            .Open("script", ("src", assets.Url("console.js")), ("defer", "")).Close("script")
            .Close("head")
            .Open("body", ("class", bodyClass));
    }

    public static Task EndAsync(HtmlWriter html, HttpContext context, int status)
    {
        html.Close("body").Close("html");
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html.ToString(), context.RequestAborted);
    }
}
