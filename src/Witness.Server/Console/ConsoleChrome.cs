using Microsoft.AspNetCore.Antiforgery;
using Witness.Access;

namespace Witness.Server.Console;

/// <summary>
/// The top bar of a signed-in console page: the product, the tenant (a switcher for a platform
/// administrator), who is signed in and the sign-out button. The viewer has no top bar.
/// </summary>
public sealed record ConsoleChrome(ConsoleUser User, IReadOnlyList<string> Tenants, string? Tenant, AntiforgeryTokenSet Antiforgery)
{
    public ConsoleSection Section { get; init; } = ConsoleSection.AuditLogs;

    internal void Write(HtmlWriter html)
    {
        html.Open("header", ("class", "topbar")).Open("div", ("class", "topbar-inner"))
            .Open("a", ("class", "brand"), ("href", "/console")).Markup(Icons.Logo).Element("span", "Witness").Close("a");
        if (User.IsPlatformAdministrator && Tenants.Count > 0)
        {
            html.Open("form", ("class", "tenant-switch"), ("method", "get"), ("action", "/console"))
                .Element("label", "Tenant", ("for", "tenant-select"), ("class", "sr-only"))
                .Markup(Icons.Building)
                .Open("select", ("id", "tenant-select"), ("name", "tenant"), ("data-autosubmit", ""));
            // The tenant being viewed is always offered, even one with no events yet, so the switcher shows where the admin is.
            var choices = Tenant is null || Tenants.Contains(Tenant) ? Tenants : [.. Tenants.Append(Tenant).Order(StringComparer.Ordinal)];
            foreach (var tenant in choices)
            {
                html.Element("option", tenant, ("value", tenant), ("selected", tenant == Tenant ? "" : null));
            }

            html.Close("select").Markup("<noscript><button class=\"btn btn-small\" type=\"submit\">Switch</button></noscript>").Close("form");
        }
        else if (Tenant is not null)
        {
            html.Open("span", ("class", "tenant-chip"), ("title", "Tenant")).Markup(Icons.Building).Text(Tenant).Close("span");
        }

        WriteSections(html);
        html.Open("div", ("class", "topbar-user"))
            .Element("span", ConsoleFormat.Initials(User.DisplayName), ("class", ConsoleFormat.AvatarClass(User.Id)), ("aria-hidden", "true"))
            .Open("span", ("class", "user-text"))
            .Element("span", User.DisplayName, ("class", "user-name"))
            .Element("span", User.IsPlatformAdministrator ? "Platform administrator" : User.Role, ("class", "user-role"))
            .Close("span")
            .Open("form", ("method", "post"), ("action", "/console/sign-out"))
            .Void("input", ("type", "hidden"), ("name", Antiforgery.FormFieldName), ("value", Antiforgery.RequestToken))
            .Element("button", "Sign out", ("class", "btn btn-ghost btn-small"), ("type", "submit"))
            .Close("form")
            .Close("div")
            .Close("div").Close("header");
    }

    /// <summary>Links to the parts of the console the user's role may open; only Administrators see Settings.</summary>
    private void WriteSections(HtmlWriter html)
    {
        var canView = ConsoleRoles.CanViewAuditLogs(User.Role);
        var canManage = ConsoleRoles.CanManageSettings(User.Role);
        if (!canView && !canManage)
        {
            return;
        }

        (string, string?)[] tenant = User.IsPlatformAdministrator && Tenant is not null ? [("tenant", Tenant)] : [];
        html.Open("nav", ("class", "topnav"), ("aria-label", "Console"));
        if (canView)
        {
            SectionLink(html, "Audit Logs", AuditLogView.Build("/console", tenant), ConsoleSection.AuditLogs);
        }

        if (canManage)
        {
            SectionLink(html, "Settings", AuditLogView.Build("/console/settings/retention", tenant), ConsoleSection.Settings);
        }

        html.Close("nav");
    }

    private void SectionLink(HtmlWriter html, string label, string href, ConsoleSection section) =>
        html.Element("a", label, ("class", section == Section ? "topnav-link active" : "topnav-link"), ("href", href), ("aria-current", section == Section ? "page" : null));
}
