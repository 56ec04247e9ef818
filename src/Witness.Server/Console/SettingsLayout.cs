using Microsoft.AspNetCore.Http;
using Witness.Events;

namespace Witness.Server.Console;

/// <summary>
/// What every settings page shares: the top bar, the breadcrumb, the heading, the settings tabs,
/// a notice after a change, and form fields whose errors are shown beside them.
/// </summary>
internal static class SettingsLayout
{
    private static readonly (string Key, string Label, string Path)[] Tabs =
    [
        ("retention", "Retention & legal hold", "/console/settings/retention"),
        ("alert-rules", "Alert rules", "/console/settings/alert-rules"),
        ("webhooks", "Webhooks", "/console/settings/webhooks"),
        ("access", "Users & API keys", "/console/settings/access"),
    ];

    public static HtmlWriter Begin(ConsoleAssets assets, SettingsScope scope, string tab, string title, string lede, string? notice)
    {
        var html = new HtmlWriter();
        PageShell.Begin(html, assets, $"{title} · Settings · Witness", "console");
        scope.Chrome.Write(html);
        html.Open("main", ("class", "page page-settings"), ("id", "main"))
            .Open("nav", ("class", "breadcrumb"), ("aria-label", "Breadcrumb"))
            .Element("span", "Settings").Element("span", "/", ("class", "crumb-sep"), ("aria-hidden", "true"))
            .Element("span", title, ("aria-current", "page")).Close("nav")
            .Open("div", ("class", "page-head")).Open("div")
            .Element("h1", title)
            .Element("p", lede, ("class", "lede"))
            .Close("div").Close("div");
        html.Open("nav", ("class", "tabs"), ("aria-label", "Settings"));
        foreach (var (key, label, path) in Tabs)
        {
            html.Element("a", label, ("class", key == tab ? "tab active" : "tab"), ("href", scope.Url(path)), ("aria-current", key == tab ? "page" : null));
        }

        html.Close("nav");
        if (notice is not null)
        {
            html.Open("div", ("class", "alert alert-success"), ("role", "status")).Element("div", notice).Close("div");
        }

        return html;
    }

    public static Task EndAsync(HtmlWriter html, HttpContext context, int status)
    {
        html.Close("main");
        return PageShell.EndAsync(html, context, status);
    }

    /// <summary>The summary above a form that was refused, so a screen reader hears it first.</summary>
    public static void WriteErrorSummary(HtmlWriter html, IReadOnlyList<ValidationError> errors, Func<string, string> label)
    {
        if (errors.Count == 0)
        {
            return;
        }

        html.Open("div", ("class", "alert alert-error"), ("role", "alert")).Markup(Icons.Warning)
            .Open("div").Element("strong", "Nothing was saved. ").Text(string.Join(" ", errors.Select(e => Message(e, label)))).Close("div").Close("div");
    }

    /// <summary>The error of <paramref name="field"/> under its input, naming the field; nothing when it has none.</summary>
    public static void WriteFieldError(HtmlWriter html, IReadOnlyList<ValidationError> errors, string field, Func<string, string> label)
    {
        foreach (var error in errors.Where(e => e.Field == field || e.Field.StartsWith(field + "[", StringComparison.Ordinal)))
        {
            html.Element("p", Message(error, label), ("class", "field-error"), ("id", ErrorId(field)));
        }
    }

    /// <summary>Attributes that tie an input to its error: <c>aria-invalid</c> and <c>aria-describedby</c>.</summary>
    public static (string?, string?) Invalid(IReadOnlyList<ValidationError> errors, string field) =>
        errors.Any(e => e.Field == field || e.Field.StartsWith(field + "[", StringComparison.Ordinal)) ? ("true", ErrorId(field)) : (null, null);

    /// <summary>A button that opens a small confirmation holding the form that does it, so nothing happens on one click and no script is needed.</summary>
    public static void WriteConfirm(HtmlWriter html, ConsoleChrome chrome, string action, string button, string question, string confirm, bool danger)
    {
        html.Open("details", ("class", "confirm"))
            .Element("summary", button, ("class", danger ? "btn btn-small btn-danger-ghost" : "btn"))
            .Open("div", ("class", "confirm-box"), ("role", "dialog"), ("aria-label", question))
            .Element("p", question)
            .Open("form", ("method", "post"), ("action", action))
            .Void("input", ("type", "hidden"), ("name", chrome.Antiforgery.FormFieldName), ("value", chrome.Antiforgery.RequestToken))
            .Element("button", confirm, ("class", danger ? "btn btn-small btn-danger" : "btn btn-small btn-primary"), ("type", "submit"))
            .Close("form")
            .Close("div")
            .Close("details");
    }

    public static void WriteAntiforgery(HtmlWriter html, ConsoleChrome chrome) =>
        html.Void("input", ("type", "hidden"), ("name", chrome.Antiforgery.FormFieldName), ("value", chrome.Antiforgery.RequestToken));

    private static string Message(ValidationError error, Func<string, string> label) => $"{label(error.Field)} ({error.Field}) {error.Message}.";

    private static string ErrorId(string field) => "error-" + field.Replace('[', '-').Replace(']', '-');
}
