using System.Globalization;
using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Retention &amp; legal hold: the tenant's current retention, legal hold and time zone, a
/// form for the retention days, and a legal hold switch that asks for confirmation.
/// </summary>
internal static class RetentionPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, TenantSettings settings, string? enteredDays, IReadOnlyList<ValidationError> errors, string? notice, int status)
    {
        var html = SettingsLayout.Begin(assets, scope, "retention", "Retention & legal hold",
            "How long this workspace keeps its audit log, and whether purging is stopped for a legal hold.", notice);
        SettingsLayout.WriteErrorSummary(html, errors, Label);

        html.Open("section", ("class", "settings-card"), ("aria-labelledby", "current-heading"))
            .Element("h2", "Current settings", ("id", "current-heading"))
            .Open("dl", ("class", "props settings-values"))
            .Element("dt", "Retention").Element("dd", Days(settings.RetentionDays), ("data-setting", "retention_days"))
            .Element("dt", "Legal hold").Open("dd", ("data-setting", "legal_hold"))
            .Element("span", settings.LegalHold ? "On — nothing is purged" : "Off", ("class", settings.LegalHold ? "badge badge-hold" : "badge badge-off"))
            .Close("dd")
            .Element("dt", "Time zone").Element("dd", settings.TimeZone, ("data-setting", "time_zone"))
            .Close("dl")
            .Element("p", "Retention counts from when Witness received each event. Times in the console are shown in the time zone above.", ("class", "hint"))
            .Close("section");

        var (invalid, describedBy) = SettingsLayout.Invalid(errors, "retention_days");
        html.Open("section", ("class", "settings-card"), ("aria-labelledby", "retention-heading"))
            .Element("h2", "Retention period", ("id", "retention-heading"))
            .Open("form", ("method", "post"), ("action", scope.Url("/console/settings/retention")), ("class", "settings-form"), ("novalidate", ""));
        SettingsLayout.WriteAntiforgery(html, scope.Chrome);
        html.Open("label", ("class", "field"))
            .Element("span", Label("retention_days"))
            .Void("input", ("type", "number"), ("name", "retention_days"), ("min", "1"), ("max", "3650"), ("step", "1"), ("inputmode", "numeric"),
                ("value", enteredDays ?? settings.RetentionDays.ToString(CultureInfo.InvariantCulture)), ("aria-invalid", invalid), ("aria-describedby", describedBy))
            .Close("label");
        SettingsLayout.WriteFieldError(html, errors, "retention_days", Label);
        html.Element("p", "From 1 to 3650 days. Older events are purged in small batches; every remaining event still verifies.", ("class", "hint"))
            .Element("button", "Save retention", ("class", "btn btn-primary"), ("type", "submit"))
            .Close("form").Close("section");

        html.Open("section", ("class", "settings-card"), ("aria-labelledby", "hold-heading"))
            .Element("h2", "Legal hold", ("id", "hold-heading"))
            .Element("p", settings.LegalHold
                ? "A legal hold is in place: no event is purged, whatever the retention period. Releasing it lets purging resume."
                : "Place a legal hold to stop purging while a dispute or investigation needs the whole log. Placing and releasing it are recorded in the log.", ("class", "hint"));
        SettingsLayout.WriteConfirm(html, scope.Chrome, scope.Url("/console/settings/legal-hold", ("hold", settings.LegalHold ? "off" : "on")),
            settings.LegalHold ? "Release legal hold…" : "Place legal hold…",
            settings.LegalHold ? "Release the legal hold? Events older than the retention period will be purged." : "Place a legal hold? No event will be purged until it is released.",
            settings.LegalHold ? "Yes, release legal hold" : "Yes, place legal hold",
            danger: settings.LegalHold);
        html.Close("section");
        return SettingsLayout.EndAsync(html, context, status);
    }

    public static string Label(string field) => field switch
    {
        "retention_days" => "Retention period in days",
        "legal_hold" => "Legal hold",
        _ => field,
    };

    private static string Days(int days) => days == 1 ? "1 day" : $"{days.ToString("N0", CultureInfo.InvariantCulture)} days";
}
