using System.Globalization;
using Microsoft.AspNetCore.Http;
using Witness.Catalog;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Search;
using Witness.Server.Http;
using Witness.Stats;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The Audit Logs page (SPEC §6): header with the Export menu, log-type tabs, filters, the list with
/// keyset pagination, and the details panel of the entry named in <c>event</c>. The console and the
/// embeddable viewer render the same page; the viewer has no top bar and no Export menu.
/// </summary>
internal sealed class AuditLogPage(IWitnessStore store, ActionCatalog catalog, CheckpointIssuer issuer, ConsoleAssets assets, TimeProvider clock, EventStatsService stats)
{
    public async Task RenderAsync(HttpContext context, AuditLogView view, ConsoleChrome? chrome)
    {
        var ct = context.RequestAborted;
        var tenant = view.Tenant;
        var zone = TenantZone.Of(await store.GetSettingsAsync(tenant, ct));
        var now = clock.GetUtcNow();
        string? error = null;
        EventPage page;
        EventStats? activity = null;
        try
        {
            var filter = view.BuildFilter(now, zone);
            page = await store.SearchAsync(tenant, filter, view.Rows, view.Cursor, ct);
            activity = stats.Available ? await stats.CountAsync(tenant, filter, zone, null, EventStatsService.DefaultTop, ct) : null;
        }
        catch (SearchSyntaxException ex)
        {
            error = ex.Message;
            page = new EventPage([], null);
        }

        var facets = store is IFacetStore facetStore ? await facetStore.ListFacetsAsync(tenant, ct) : EventFacets.Empty;
        StoredEvent? opened = null;
        InclusionCheck? inclusion = null;
        if (view.OpenEvent is { } openId)
        {
            opened = await store.FindAsync(tenant, openId, ct);
            if (opened is not null)
            {
                inclusion = await InclusionCheck.RunAsync(tenant, opened, store, issuer, ct);
            }
        }

        var html = new HtmlWriter();
        PageShell.Begin(html, assets, "Audit Logs · Witness", chrome is null ? "embed" : "console");
        chrome?.Write(html);
        html.Open("main", ("class", "page"), ("id", "main"));
        WriteHeader(html, view, chrome is not null, now);
        WriteTabs(html, view);
        WriteFilters(html, view, facets);
        if (error is not null)
        {
            html.Open("div", ("class", "alert alert-error"), ("role", "alert")).Markup(Icons.Warning)
                .Open("div").Element("strong", "This search cannot run. ").Text(error).Close("div").Close("div");
        }

        if (activity is { Events: > 0 })
        {
            ActivityChart.Write(html, view, activity, catalog);
        }

        WriteTable(html, view, page, zone, opened?.Event.Id);
        WritePager(html, view, page);
        html.Close("main");
        if (view.OpenEvent is not null)
        {
            new EventDetailsPanel(catalog, tenant, zone, view).Write(html, opened, inclusion);
        }

        await PageShell.EndAsync(html, context, error is null ? 200 : 400);
    }

    private static void WriteHeader(HtmlWriter html, AuditLogView view, bool withExport, DateTimeOffset now)
    {
        if (withExport)
        {
            html.Open("nav", ("class", "breadcrumb"), ("aria-label", "Breadcrumb"))
                .Element("span", "Settings").Element("span", "/", ("class", "crumb-sep"), ("aria-hidden", "true"))
                .Element("span", "Audit Logs", ("aria-current", "page")).Close("nav");
        }

        html.Open("div", ("class", "page-head")).Open("div")
            .Element("h1", "Audit Logs")
            .Element("p", "See who did what, where and when. Every entry is signed and tamper-evident.", ("class", "lede"))
            .Close("div");
        if (withExport)
        {
            html.Open("details", ("class", "menu")).Open("summary", ("class", "btn"))
                .Markup(Icons.Download).Element("span", "Export").Markup(Icons.ChevronDown).Close("summary")
                .Open("div", ("class", "menu-list"), ("role", "menu"));
            var parameters = view.ApiParameters(now).Concat(view.Carried.Where(c => c.Name == "tenant")).ToList();
            foreach (var (format, label, hint) in new[] { ("csv", "CSV", "Spreadsheets"), ("json", "JSON", "Every field"), ("pdf", "PDF", "A printable report") })
            {
                html.Open("a", ("role", "menuitem"), ("href", AuditLogView.Build("/v1/events/export", [("format", format), .. parameters.Select(p => (p.Name, (string?)p.Value))])))
                    .Element("span", label, ("class", "menu-label")).Element("span", hint, ("class", "menu-hint")).Close("a");
            }

            html.Close("div").Close("details");
        }

        html.Close("div");
    }

    private static void WriteTabs(HtmlWriter html, AuditLogView view)
    {
        html.Open("nav", ("class", "tabs"), ("aria-label", "Log type"));
        foreach (var (type, label) in AuditLogView.Tabs)
        {
            var active = type == view.Type;
            html.Element("a", label,
                ("class", active ? "tab active" : "tab"),
                ("href", view.Url(("type", type == LogTypes.Activity ? null : type))),
                ("aria-current", active ? "page" : null));
        }

        html.Close("nav");
    }

    private void WriteFilters(HtmlWriter html, AuditLogView view, EventFacets facets)
    {
        html.Open("form", ("class", "filters"), ("method", "get"), ("action", view.BasePath), ("role", "search"));
        foreach (var (name, value) in view.FormState(withFilters: false))
        {
            html.Void("input", ("type", "hidden"), ("name", name), ("value", value));
        }

        html.Open("div", ("class", "search")).Markup(Icons.Search)
            .Void("input", ("type", "search"), ("name", "q"), ("value", view.Filter("q")), ("aria-label", "Search"),
                ("placeholder", "Search: free text, actor:ada@acme.example, action:inbox.*, ip:203.0.113.0/24 …"), ("autocomplete", "off"), ("spellcheck", "false"))
            .Close("div");

        html.Open("div", ("class", "filter-row"));
        Select(html, "range", "Time range", view.Range, AuditLogView.Ranges.Select(r => (r.Value, r.Label)), null);
        html.Open("div", ("class", "custom-range"));
        html.Open("label", ("class", "field")).Element("span", "From").Void("input", ("type", IsDay(view.From) ? "date" : "text"), ("name", "from"), ("value", view.From)).Close("label");
        html.Open("label", ("class", "field")).Element("span", "To").Void("input", ("type", IsDay(view.To) ? "date" : "text"), ("name", "to"), ("value", view.To)).Close("label");
        html.Close("div");
        Select(html, "category", "Category", view.Filter("category"), facets.Categories.Select(c => (c, c)), "All categories");
        Select(html, "actor", "User", view.Filter("actor"), facets.ActorEmails.Select(e => (e, e)), "All users");
        Select(html, "action", "Action", view.Filter("action"),
            facets.Actions.Select(a => (a, catalog.Find(view.Tenant, a)?.Description ?? a)).OrderBy(a => a.Item2, StringComparer.OrdinalIgnoreCase), "All actions");
        Select(html, "outcome", "Outcome", view.Filter("outcome"), [(Outcomes.Success, "Success"), (Outcomes.Failure, "Failure")], "Any outcome");
        html.Open("div", ("class", "filter-actions"))
            .Element("button", "Apply", ("class", "btn btn-primary"), ("type", "submit"));
        if (view.HasFilters)
        {
            html.Element("a", "Clear", ("class", "btn btn-ghost"), ("href", view.Url(("q", null), ("category", null), ("actor", null), ("action", null), ("outcome", null), ("range", null), ("from", null), ("to", null))));
        }

        html.Close("div").Close("div").Close("form");
    }

    /// <summary>Whether a range bound fits a date field (a bar's link may narrow to times, which a text field keeps).</summary>
    private static bool IsDay(string value) => value.Length == 0 || DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    /// <summary>A filter menu; the current value stays selectable even when the facets do not list it.</summary>
    private static void Select(HtmlWriter html, string name, string label, string current, IEnumerable<(string Value, string Label)> options, string? anyLabel)
    {
        var list = options.ToList();
        if (current.Length > 0 && list.All(o => o.Value != current))
        {
            list.Insert(0, (current, current));
        }

        html.Open("label", ("class", "field")).Element("span", label)
            .Open("select", ("name", name), ("data-autosubmit", ""));
        if (anyLabel is not null)
        {
            html.Element("option", anyLabel, ("value", ""));
        }

        foreach (var (value, text) in list)
        {
            html.Element("option", text, ("value", value), ("selected", value == current ? "" : null));
        }

        html.Close("select").Close("label");
    }

    private void WriteTable(HtmlWriter html, AuditLogView view, EventPage page, TimeZoneInfo zone, string? openId)
    {
        html.Open("div", ("class", "table-card"));
        if (page.Events.Count == 0)
        {
            html.Open("div", ("class", "empty")).Markup(Icons.Inbox)
                .Element("h2", view.HasFilters ? "No events match these filters" : $"No {ConsoleFormat.TypeLabel(view.Type).ToLowerInvariant()} events yet")
                .Element("p", view.HasFilters ? "Try a wider time range, another tab, or clear the filters." : "Events appear here as soon as your product sends them.")
                .Close("div").Close("div");
            return;
        }

        html.Open("table", ("class", "log")).Open("thead").Open("tr");
        foreach (var heading in new[] { "User", "Activity", "Category", "Time", "IP / Location", "Outcome" })
        {
            html.Element("th", heading, ("scope", "col"));
        }

        html.Open("th", ("scope", "col")).Element("span", "Details", ("class", "sr-only")).Close("th").Close("tr").Close("thead").Open("tbody");
        foreach (var stored in page.Events)
        {
            var e = stored.Event;
            html.Open("tr", ("class", e.Id == openId ? "row selected" : "row"), ("data-event-id", e.Id));
            html.Open("td", ("data-label", "User"));
            WriteActor(html, e.Actor);
            html.Close("td");
            html.Open("td", ("data-label", "Activity")).Open("div", ("class", "activity"));
            WriteDescription(html, catalog.DescribeSegments(view.Tenant, e));
            html.Close("div").Open("div", ("class", "action-name")).Element("code", e.Action).Close("div").Close("td");
            html.Open("td", ("data-label", "Category"));
            if (e.Category is not null)
            {
                html.Element("span", e.Category, ("class", "category"));
            }
            else
            {
                html.Element("span", "—", ("class", "muted"));
            }

            html.Close("td");
            html.Open("td", ("data-label", "Time"))
                .Element("time", ConsoleFormat.LocalTime(e.OccurredAt, zone), ("datetime", Rfc3339.FormatFixed(e.OccurredAt)), ("title", ConsoleFormat.Utc(e.OccurredAt)), ("class", "nowrap"))
                .Close("td");
            html.Open("td", ("data-label", "IP / Location"));
            if (e.Context?.Ip is null && ConsoleFormat.Location(e.Context?.Location) is null)
            {
                html.Element("span", "—", ("class", "muted"));
            }
            else
            {
                html.Element("div", e.Context?.Ip, ("class", "ip"));
                html.Element("div", ConsoleFormat.Location(e.Context?.Location), ("class", "sub"));
            }

            html.Close("td");
            html.Open("td", ("data-label", "Outcome")).Element("span", ConsoleFormat.OutcomeLabel(e.Outcome), ("class", ConsoleFormat.OutcomeClass(e.Outcome))).Close("td");
            html.Open("td", ("class", "open-cell"))
                .Open("a", ("class", "row-open"), ("href", view.PageUrl(("event", e.Id))), ("aria-label", "Open details"))
                .Markup(Icons.ChevronRight).Close("a").Close("td");
            html.Close("tr");
        }

        html.Close("tbody").Close("table").Close("div");
    }

    /// <summary>The actor cell: avatar and name, with email (or type and id) below; "System" for system actors.</summary>
    internal static void WriteActor(HtmlWriter html, EventActor actor)
    {
        html.Open("div", ("class", "who"));
        if (actor.Type == ActorTypes.System)
        {
            html.Open("span", ("class", "avatar av-system"), ("aria-hidden", "true")).Markup(Icons.Gear).Close("span");
        }
        else if (actor.Type is ActorTypes.ApiKey or ActorTypes.Service)
        {
            html.Open("span", ("class", "avatar av-system"), ("aria-hidden", "true")).Markup(Icons.Key).Close("span");
        }
        else
        {
            html.Element("span", ConsoleFormat.Initials(actor.DisplayName), ("class", ConsoleFormat.AvatarClass(actor.Id ?? actor.Email ?? actor.DisplayName)), ("aria-hidden", "true"));
        }

        html.Open("div", ("class", "who-text")).Element("div", actor.DisplayName, ("class", "who-name"));
        var sub = actor.Type switch
        {
            ActorTypes.User => actor.Email is not null && actor.Email != actor.DisplayName ? actor.Email : actor.Role,
            ActorTypes.ApiKey => actor.Name is null ? "API key" : $"API key {actor.Id}",
            ActorTypes.Service => "Service",
            _ => null,
        };
        html.Element("div", sub, ("class", "sub"));
        html.Close("div").Close("div");
    }

    /// <summary>The rendered description: text encoded, placeholders of targets with a URL as links.</summary>
    internal static void WriteDescription(HtmlWriter html, IReadOnlyList<TemplateSegment> segments)
    {
        foreach (var segment in segments)
        {
            if (HtmlWriter.SafeLink(segment.LinkUrl) is { } link)
            {
                html.Element("a", segment.Text, ("class", "target-link"), ("href", link), ("target", "_blank"), ("rel", "noopener noreferrer nofollow"));
            }
            else
            {
                html.Text(segment.Text);
            }
        }
    }

    private static void WritePager(HtmlWriter html, AuditLogView view, EventPage page)
    {
        html.Open("div", ("class", "pager"));
        html.Open("form", ("class", "rows-form"), ("method", "get"), ("action", view.BasePath));
        foreach (var (name, value) in view.FormState(withFilters: true))
        {
            html.Void("input", ("type", "hidden"), ("name", name), ("value", value));
        }

        html.Open("label").Element("span", "Rows per page").Open("select", ("name", "rows"), ("data-autosubmit", ""));
        foreach (var rows in AuditLogView.RowChoices)
        {
            var text = rows.ToString(CultureInfo.InvariantCulture);
            html.Element("option", text, ("value", text), ("selected", rows == view.Rows ? "" : null));
        }

        html.Close("select").Close("label")
            .Markup("<noscript><button class=\"btn btn-small\" type=\"submit\">Show</button></noscript>")
            .Close("form");

        var first = ((view.Page - 1) * view.Rows) + 1;
        var info = page.Events.Count == 0
            ? $"Page {view.Page}"
            : $"Page {view.Page} · rows {first:N0}–{first + page.Events.Count - 1:N0}";
        html.Element("div", info, ("class", "pager-info"), ("aria-live", "polite"));

        html.Open("nav", ("class", "pager-nav"), ("aria-label", "Pagination"));
        if (view.Page > 2)
        {
            html.Element("a", "First", ("class", "btn btn-ghost btn-small"), ("href", view.Url()));
        }

        if (view.Page > 1)
        {
            html.Open("a", ("class", "btn"), ("href", view.PreviousUrl()), ("rel", "prev")).Markup(Icons.ChevronLeft).Element("span", "Previous").Close("a");
        }
        else
        {
            html.Open("span", ("class", "btn disabled"), ("aria-disabled", "true")).Markup(Icons.ChevronLeft).Element("span", "Previous").Close("span");
        }

        if (page.Next is { } next)
        {
            html.Open("a", ("class", "btn"), ("href", view.NextUrl(next)), ("rel", "next")).Element("span", "Next").Markup(Icons.ChevronRight).Close("a");
        }
        else
        {
            html.Open("span", ("class", "btn disabled"), ("aria-disabled", "true")).Element("span", "Next").Markup(Icons.ChevronRight).Close("span");
        }

        html.Close("nav").Close("div");
    }
}
