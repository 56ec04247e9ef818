using System.Globalization;
using Microsoft.AspNetCore.Http;
using Witness.Alerts;
using Witness.Events;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Alert rules: the tenant's rules (kind, query, threshold and window or what is new,
/// enabled) with a confirmed delete each, and a form for a new threshold, first-seen or match rule.
/// </summary>
internal static class AlertRulesPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<AlertRule> rules, IFormCollection? entered, IReadOnlyList<ValidationError> errors, string? notice, int status)
    {
        var html = SettingsLayout.Begin(assets, scope, "alert-rules", "Alert rules",
            "Each rule is checked as events arrive; a firing is recorded as an alert.fired event and sent to the webhooks that ask for alerts.", notice);
        SettingsLayout.WriteErrorSummary(html, errors, Label);
        WriteList(html, scope, rules);
        WriteForm(html, scope, entered, errors);
        return SettingsLayout.EndAsync(html, context, status);
    }

    public static string Label(string field) => field switch
    {
        "name" => "Name",
        "kind" => "Kind",
        "query" => "Query",
        "threshold" => "Threshold",
        "window_minutes" => "Window in minutes",
        "group_by" => "Group by",
        "dimension" => "New",
        "enabled" => "Enabled",
        _ => field,
    };

    private static void WriteList(HtmlWriter html, SettingsScope scope, IReadOnlyList<AlertRule> rules)
    {
        html.Open("div", ("class", "table-card"));
        if (rules.Count == 0)
        {
            html.Open("div", ("class", "empty")).Markup(Icons.Shield)
                .Element("h2", "No alert rules yet")
                .Element("p", "Create one below, for example any event matching action:secret.delete.")
                .Close("div").Close("div");
            return;
        }

        html.Open("table", ("class", "log settings-table")).Open("thead").Open("tr");
        foreach (var heading in new[] { "Name", "Kind", "Query", "Condition", "Enabled" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Actions", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var rule in rules)
        {
            html.Open("tr", ("data-rule-id", rule.Id))
                .Element("td", rule.Name, ("data-label", "Name"), ("class", "strong"))
                .Open("td", ("data-label", "Kind")).Element("span", KindLabel(rule.Kind), ("class", "category")).Close("td")
                .Open("td", ("data-label", "Query"));
            if (rule.Query.Length > 0)
            {
                html.Element("code", rule.Query);
            }
            else
            {
                html.Element("span", "Every event", ("class", "muted"));
            }

            html.Close("td")
                .Element("td", Condition(rule), ("data-label", "Condition"))
                .Open("td", ("data-label", "Enabled"))
                .Element("span", rule.Enabled ? "Enabled" : "Disabled", ("class", rule.Enabled ? "badge badge-success" : "badge badge-off"))
                .Close("td")
                .Open("td", ("class", "actions-cell"));
            SettingsLayout.WriteConfirm(html, scope.Chrome, scope.Url($"/console/settings/alert-rules/{Uri.EscapeDataString(rule.Id)}/delete"),
                "Delete…", $"Delete the rule {rule.Name}? It stops firing at once.", "Yes, delete rule", danger: true);
            html.Close("td").Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
    }

    private static void WriteForm(HtmlWriter html, SettingsScope scope, IFormCollection? entered, IReadOnlyList<ValidationError> errors)
    {
        string Value(string field, string fallback = "") => entered is null ? fallback : entered[field].ToString();
        var kind = Value("kind", AlertKinds.Match);
        html.Open("section", ("class", "settings-card"), ("aria-labelledby", "new-rule-heading"))
            .Element("h2", "New alert rule", ("id", "new-rule-heading"))
            .Open("form", ("method", "post"), ("action", scope.Url("/console/settings/alert-rules")), ("class", "settings-form rule-form"), ("novalidate", ""));
        SettingsLayout.WriteAntiforgery(html, scope.Chrome);
        html.Open("div", ("class", "form-grid"));
        TextField(html, errors, "name", Value("name"), "text", "Secret deleted", null);
        html.Open("label", ("class", "field"), ("data-field", "kind")).Element("span", Label("kind"))
            .Open("select", ("name", "kind"));
        foreach (var k in AlertKinds.All)
        {
            html.Element("option", KindLabel(k), ("value", k), ("selected", k == kind ? "" : null));
        }

        html.Close("select").Close("label");
        SettingsLayout.WriteFieldError(html, errors, "kind", Label);
        TextField(html, errors, "query", Value("query"), "text", "action:secret.delete", "wide");
        TextField(html, errors, "threshold", Value("threshold", "5"), "number", null, "only-threshold");
        TextField(html, errors, "window_minutes", Value("window_minutes", "10"), "number", null, "only-threshold");
        Choice(html, errors, "group_by", Value("group_by", AlertGroups.Actor), [(AlertGroups.Actor, "Actor"), (AlertGroups.Ip, "IP address")], "only-threshold");
        Choice(html, errors, "dimension", Value("dimension", AlertGroups.Ip), [(AlertGroups.Ip, "IP address for the actor"), (AlertGroups.Country, "Country for the actor")], "only-first-seen");
        html.Close("div")
            .Open("label", ("class", "check"))
            .Void("input", ("type", "checkbox"), ("name", "enabled"), ("value", "true"), ("checked", entered is null || entered.ContainsKey("enabled") ? "" : null))
            .Element("span", "Enabled")
            .Close("label");
        SettingsLayout.WriteFieldError(html, errors, "enabled", Label);
        html.Element("p", "Threshold: N matching events within the window, per actor or IP. First seen: an actor from an IP or country never seen for them. Match: any event matching the query.", ("class", "hint"))
            .Element("button", "Create rule", ("class", "btn btn-primary"), ("type", "submit"))
            .Close("form").Close("section");
    }

    private static void TextField(HtmlWriter html, IReadOnlyList<ValidationError> errors, string field, string value, string type, string? placeholder, string? extraClass)
    {
        var (invalid, describedBy) = SettingsLayout.Invalid(errors, field);
        html.Open("div", ("class", extraClass is null ? "form-cell" : $"form-cell {extraClass}"))
            .Open("label", ("class", "field"))
            .Element("span", Label(field))
            .Void("input", ("type", type), ("name", field), ("value", value), ("placeholder", placeholder), ("aria-invalid", invalid), ("aria-describedby", describedBy),
                ("autocomplete", "off"), ("spellcheck", "false"))
            .Close("label");
        SettingsLayout.WriteFieldError(html, errors, field, Label);
        html.Close("div");
    }

    private static void Choice(HtmlWriter html, IReadOnlyList<ValidationError> errors, string field, string value, (string Value, string Label)[] options, string extraClass)
    {
        html.Open("div", ("class", $"form-cell {extraClass}"))
            .Open("label", ("class", "field")).Element("span", Label(field)).Open("select", ("name", field));
        foreach (var (optionValue, optionLabel) in options)
        {
            html.Element("option", optionLabel, ("value", optionValue), ("selected", optionValue == value ? "" : null));
        }

        html.Close("select").Close("label");
        SettingsLayout.WriteFieldError(html, errors, field, Label);
        html.Close("div");
    }

    private static string KindLabel(string kind) => kind switch
    {
        AlertKinds.Threshold => "Threshold",
        AlertKinds.FirstSeen => "First seen",
        AlertKinds.Match => "Match",
        _ => kind,
    };

    private static string Condition(AlertRule rule) => rule.Kind switch
    {
        AlertKinds.Threshold => string.Create(CultureInfo.InvariantCulture,
            $"{rule.Threshold:N0} events in {rule.WindowMinutes:N0} min, per {(rule.GroupBy == AlertGroups.Ip ? "IP address" : "actor")}"),
        AlertKinds.FirstSeen => $"New {(rule.Dimension == AlertGroups.Country ? "country" : "IP address")} for an actor",
        _ => "Every matching event",
    };
}
