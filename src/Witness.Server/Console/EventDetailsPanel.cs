using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Witness.Catalog;
using Witness.Events;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The details of one entry, as a panel over the list: activity, actor, time in the tenant's zone and
/// in UTC, action and log type, targets (links where the event gives a URL), IP, location, user agent,
/// outcome and reason, request and session ids, metadata, the Before / After comparison, and the
/// integrity facts (seq, hash, verified mark). Closing it goes back to the same list page.
/// </summary>
internal sealed class EventDetailsPanel(ActionCatalog catalog, string tenant, TimeZoneInfo zone, AuditLogView view)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(HtmlWriter html, StoredEvent? stored, InclusionCheck? inclusion)
    {
        var close = view.PageUrl(("event", null));
        html.Open("div", ("class", "drawer-layer"))
            .Open("a", ("class", "drawer-backdrop"), ("href", close), ("aria-label", "Close details"), ("data-drawer-close", "")).Close("a")
            .Open("aside", ("class", "drawer"), ("role", "dialog"), ("aria-modal", "true"), ("aria-labelledby", "drawer-title"));
        if (stored is null)
        {
            Head(html, close, "Event not found", null);
            html.Open("div", ("class", "drawer-body"))
                .Element("p", "No event with this id exists in this audit log. It may have been removed by retention.", ("class", "muted"))
                .Close("div").Close("aside").Close("div");
            return;
        }

        var e = stored.Event;
        var definition = catalog.Find(tenant, e.Action);
        Head(html, close, definition?.Description ?? e.Action, e);
        html.Open("div", ("class", "drawer-body"));

        Section(html, "Overview");
        html.Open("dl", ("class", "props"));
        Prop(html, "Action", () => html.Element("code", e.Action).Text(definition is null ? null : $" · {definition.Crud}"));
        Prop(html, "Log type", ConsoleFormat.TypeLabel(e.Type));
        Prop(html, "Category", e.Category);
        Prop(html, "Time", () => html.Text(ConsoleFormat.LocalTimeWithSeconds(e.OccurredAt, zone)).Element("span", $" {zone.Id}", ("class", "muted")));
        Prop(html, "Time (UTC)", ConsoleFormat.Utc(e.OccurredAt));
        Prop(html, "Outcome", () => html.Element("span", ConsoleFormat.OutcomeLabel(e.Outcome), ("class", ConsoleFormat.OutcomeClass(e.Outcome))));
        Prop(html, "Reason", e.Reason);
        html.Close("dl").Close("section");

        Section(html, "Actor");
        html.Open("dl", ("class", "props"));
        Prop(html, "Name", e.Actor.DisplayName);
        Prop(html, "Email", e.Actor.Email);
        Prop(html, "Role", e.Actor.Role);
        Prop(html, "Type", e.Actor.Type);
        Prop(html, "ID", e.Actor.Id, mono: true);
        html.Close("dl").Close("section");

        if (e.Targets.Count > 0)
        {
            Section(html, e.Targets.Count == 1 ? "Target" : $"Targets ({e.Targets.Count})");
            html.Open("ul", ("class", "targets"));
            foreach (var target in e.Targets)
            {
                html.Open("li").Element("span", target.Type, ("class", "target-type"));
                if (HtmlWriter.SafeLink(target.Url) is { } link)
                {
                    html.Open("a", ("class", "target-name"), ("href", link), ("target", "_blank"), ("rel", "noopener noreferrer nofollow"))
                        .Text(target.Name ?? target.Id).Markup(Icons.External).Close("a");
                }
                else
                {
                    html.Element("span", target.Name ?? target.Id, ("class", "target-name"));
                }

                html.Element("code", target.Id, ("class", "target-id")).Close("li");
            }

            html.Close("ul").Close("section");
        }

        Section(html, "Context");
        html.Open("dl", ("class", "props"));
        Prop(html, "IP address", e.Context?.Ip, mono: true);
        Prop(html, "Location", ConsoleFormat.Location(e.Context?.Location));
        Prop(html, "User agent", e.Context?.UserAgent, mono: true);
        Prop(html, "Source", e.Context?.Source);
        Prop(html, "Brand", e.Context?.Brand);
        Prop(html, "Session ID", e.Context?.SessionId, mono: true);
        Prop(html, "Request ID", e.Context?.RequestId, mono: true);
        html.Close("dl").Close("section");

        if (e.Changes is { } changes && (changes.Before is not null || changes.After is not null))
        {
            WriteChanges(html, changes);
        }

        if (e.Metadata is { ValueKind: JsonValueKind.Object } metadata && metadata.EnumerateObject().Any())
        {
            Section(html, "Metadata");
            html.Element("pre", JsonSerializer.Serialize(metadata, Indented), ("class", "json"));
            html.Close("section");
        }

        Section(html, "Integrity");
        html.Open("dl", ("class", "props"));
        Prop(html, "Event ID", e.Id, mono: true);
        Prop(html, "Sequence", stored.Seq.ToString("N0", CultureInfo.InvariantCulture));
        Prop(html, "Received", ConsoleFormat.Utc(e.ReceivedAt));
        Prop(html, "Hash", stored.HashHex, mono: true);
        Prop(html, "Proof", () =>
        {
            if (inclusion is { Verified: true })
            {
                html.Open("span", ("class", "verified"), ("title", inclusion.Detail)).Markup(Icons.Shield).Text("Verified").Close("span")
                    .Element("div", inclusion.Detail, ("class", "sub"));
            }
            else
            {
                html.Open("span", ("class", "unverified")).Markup(Icons.Warning).Text("Not verified").Close("span")
                    .Element("div", inclusion?.Detail, ("class", "sub"));
            }
        });
        html.Close("dl").Close("section");

        html.Close("div").Close("aside").Close("div");
    }

    private void Head(HtmlWriter html, string close, string title, AuditEvent? e)
    {
        html.Open("header", ("class", "drawer-head")).Open("div", ("class", "drawer-title"))
            .Element("p", "Event details", ("class", "eyebrow"))
            .Element("h2", title, ("id", "drawer-title"));
        if (e is not null)
        {
            html.Open("p", ("class", "drawer-desc"));
            AuditLogPage.WriteDescription(html, catalog.DescribeSegments(tenant, e));
            html.Close("p");
        }

        html.Close("div")
            .Open("a", ("class", "icon-btn"), ("href", close), ("aria-label", "Close details"), ("data-drawer-close", "")).Markup(Icons.Close).Close("a")
            .Close("header");
    }

    private static void WriteChanges(HtmlWriter html, EventChanges changes)
    {
        var fields = ChangeDiff.Compare(changes.Before, changes.After);
        Section(html, "Changes");
        html.Open("div", ("class", "legend"))
            .Element("span", "Changed", ("class", "chip chg-changed"))
            .Element("span", "Added", ("class", "chip chg-added"))
            .Element("span", "Removed", ("class", "chip chg-removed"))
            .Close("div");
        html.Open("div", ("class", "diff"), ("role", "table"), ("aria-label", "Before and after values"))
            .Open("div", ("class", "diff-row diff-head"), ("role", "row"))
            .Element("div", "Before", ("role", "columnheader"))
            .Element("div", "After", ("role", "columnheader"))
            .Close("div");
        if (fields.Count == 0)
        {
            html.Element("p", "Both values are empty.", ("class", "muted"));
        }

        foreach (var field in fields)
        {
            var kind = field.Kind switch
            {
                ChangeKind.Changed => "changed",
                ChangeKind.Added => "added",
                ChangeKind.Removed => "removed",
                _ => "same",
            };
            html.Open("div", ("class", $"diff-row chg-{kind}"), ("role", "row"), ("data-field", field.Path), ("data-change", kind));
            Side(html, field.Path, field.Before, field.Kind is ChangeKind.Changed or ChangeKind.Removed ? "before" : null);
            Side(html, field.Path, field.After, field.Kind is ChangeKind.Changed or ChangeKind.Added ? "after" : null);
            html.Close("div");
        }

        html.Close("div").Close("section");
    }

    private static void Side(HtmlWriter html, string path, string? value, string? highlight)
    {
        html.Open("div", ("class", highlight is null ? "diff-cell" : $"diff-cell mark-{highlight}"), ("role", "cell"));
        if (value is not null)
        {
            html.Element("span", path, ("class", "diff-key")).Element("span", value, ("class", "diff-value"));
        }
        else
        {
            html.Element("span", "—", ("class", "diff-absent"), ("aria-label", "absent"));
        }

        html.Close("div");
    }

    private static void Section(HtmlWriter html, string title) =>
        html.Open("section", ("class", "detail-section")).Element("h3", title);

    private static void Prop(HtmlWriter html, string label, string? value, bool mono = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        html.Element("dt", label).Element("dd", value, ("class", mono ? "mono" : null));
    }

    private static void Prop(HtmlWriter html, string label, Action writeValue)
    {
        html.Element("dt", label).Open("dd");
        writeValue();
        html.Close("dd");
    }
}
