using Microsoft.AspNetCore.Http;
using Witness.Access;
using Witness.Events;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Users &amp; API keys: the tenant's console users (change a role, set a password, remove)
/// and its API keys (revoke), each change a POST with an anti-forgery token; what it does is what
/// <c>witness users</c> and <c>witness keys</c> do.
/// </summary>
internal static class AccessPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<ConsoleUser> users, IReadOnlyList<ApiKeyRecord> keys,
        TimeZoneInfo zone, string? error, string? notice, int status)
    {
        var html = SettingsLayout.Begin(assets, scope, "access", "Users & API keys",
            "Who may sign in to this workspace's audit log, and the keys that send and read its events. Changes apply on the next request.", notice);
        if (error is not null)
        {
            html.Open("div", ("class", "alert alert-error"), ("role", "alert")).Markup(Icons.Warning)
                .Open("div").Element("strong", "Nothing was changed. ").Text(error).Close("div").Close("div");
        }

        WriteUsers(html, scope, users);
        WriteKeys(html, scope, keys, zone);
        return SettingsLayout.EndAsync(html, context, status);
    }

    private static void WriteUsers(HtmlWriter html, SettingsScope scope, IReadOnlyList<ConsoleUser> users)
    {
        html.Element("h2", "Users", ("class", "section-title"), ("id", "users-heading"));
        html.Open("div", ("class", "table-card"), ("aria-labelledby", "users-heading"));
        html.Open("table", ("class", "log settings-table")).Open("thead").Open("tr");
        foreach (var heading in new[] { "User", "Role", "New password" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Actions", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var user in users)
        {
            var self = user.Id == scope.User.Id;
            var path = $"/console/settings/access/users/{Uri.EscapeDataString(user.Id)}";
            html.Open("tr", ("data-user-id", user.Id))
                .Open("td", ("data-label", "User"))
                .Element("div", user.DisplayName)
                .Element("div", user.Email, ("class", "sub"))
                .Close("td")
                .Open("td", ("data-label", "Role"))
                .Open("form", ("method", "post"), ("action", scope.Url(path + "/role")), ("class", "inline-form"));
            SettingsLayout.WriteAntiforgery(html, scope.Chrome);
            html.Open("select", ("name", "role"), ("aria-label", $"Role of {user.Email}"), ("disabled", self ? "" : null));
            foreach (var role in ConsoleRoles.All)
            {
                html.Element("option", role, ("value", role), ("selected", role == user.Role ? "" : null));
            }

            html.Close("select")
                .Element("button", "Save role", ("class", "btn btn-small"), ("type", "submit"), ("disabled", self ? "" : null))
                .Close("form")
                .Close("td")
                .Open("td", ("data-label", "New password"))
                .Open("form", ("method", "post"), ("action", scope.Url(path + "/password")), ("class", "inline-form"));
            SettingsLayout.WriteAntiforgery(html, scope.Chrome);
            html.Void("input", ("type", "password"), ("name", "password"), ("minlength", PasswordHash.MinimumPasswordLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("autocomplete", "new-password"), ("aria-label", $"New password for {user.Email}"))
                .Element("button", "Set password", ("class", "btn btn-small"), ("type", "submit"))
                .Close("form")
                .Close("td")
                .Open("td", ("class", "actions-cell"));
            if (!self)
            {
                SettingsLayout.WriteConfirm(html, scope.Chrome, scope.Url(path + "/remove"), "Remove…", $"Remove {user.Email}? Their sessions end at once.", "Yes, remove user", danger: true);
            }

            html.Close("td").Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
        html.Element("p", "Add users with: witness users add EMAIL --role ROLE --tenant " + scope.Tenant + ". A new password ends the user's open sessions.", ("class", "hint"));
    }

    private static void WriteKeys(HtmlWriter html, SettingsScope scope, IReadOnlyList<ApiKeyRecord> keys, TimeZoneInfo zone)
    {
        html.Element("h2", "API keys", ("class", "section-title"), ("id", "keys-heading"));
        html.Open("div", ("class", "table-card"), ("aria-labelledby", "keys-heading"));
        if (keys.Count == 0)
        {
            html.Open("div", ("class", "empty")).Markup(Icons.Key)
                .Element("h2", "No API keys for this workspace")
                .Element("p", "Create one with: witness keys create --tenant " + scope.Tenant + " --scopes events:write")
                .Close("div").Close("div");
            return;
        }

        html.Open("table", ("class", "log settings-table")).Open("thead").Open("tr");
        foreach (var heading in new[] { "Key", "Scopes", "Created", "Status" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Actions", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var key in keys)
        {
            html.Open("tr", ("data-key-id", key.KeyId))
                .Open("td", ("data-label", "Key")).Element("div", key.Name).Element("div", "wk_" + key.KeyId + "_…", ("class", "sub mono")).Close("td")
                .Element("td", string.Join(" ", key.Scopes), ("data-label", "Scopes"))
                .Open("td", ("data-label", "Created"))
                .Element("time", ConsoleFormat.LocalTime(key.CreatedAt, zone), ("datetime", Rfc3339.FormatFixed(key.CreatedAt)), ("class", "nowrap"))
                .Close("td")
                .Open("td", ("data-label", "Status"))
                .Element("span", key.RevokedAt is { } revoked ? "Revoked " + ConsoleFormat.LocalTime(revoked, zone) : "Active", ("class", key.RevokedAt is null ? "badge badge-success" : "badge badge-off"))
                .Close("td")
                .Open("td", ("class", "actions-cell"));
            if (key.RevokedAt is null)
            {
                SettingsLayout.WriteConfirm(html, scope.Chrome, scope.Url($"/console/settings/access/keys/{Uri.EscapeDataString(key.KeyId)}/revoke"),
                    "Revoke…", $"Revoke the key '{key.Name}'? Everything using it is refused at once.", "Yes, revoke key", danger: true);
            }

            html.Close("td").Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
    }
}
