using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>A page that explains why there is nothing to show (no permission, an expired viewer link); it never carries log data.</summary>
internal static class MessagePage
{
    public static Task RenderAsync(HttpContext context, ConsoleAssets assets, ConsoleChrome? chrome, int status, string title, string message, string? icon = null)
    {
        var html = new HtmlWriter();
        PageShell.Begin(html, assets, $"{title} · Witness", chrome is null ? "embed" : "console");
        chrome?.Write(html);
        html.Open("main", ("class", "page page-message"))
            .Open("div", ("class", "message-card"), ("role", status >= 400 ? "alert" : null))
            .Open("div", ("class", "message-icon")).Markup(icon ?? Icons.Lock).Close("div")
            .Element("h1", title)
            .Element("p", message)
            .Close("div")
            .Close("main");
        return PageShell.EndAsync(html, context, status);
    }
}
