using System.Globalization;
using Witness.Catalog;
using Witness.Events;
using Witness.Stats;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The activity histogram above the Audit Logs list and the summaries beside it, server-rendered:
/// an SVG of one link per bar (failures stacked in their own colour) that narrows the range to the
/// bar, the same counts as a table for screen readers and for reading, and top lists whose entries
/// add their filter. No script and no inline style: classes styled by console.css and SVG geometry only.
/// </summary>
internal static class ActivityChart
{
    private const int Width = 1000;
    private const int Height = 160;

    public static void Write(HtmlWriter html, AuditLogView view, EventStats stats, ActionCatalog catalog)
    {
        html.Open("section", ("class", "activity"), ("aria-labelledby", "activity-title"));
        html.Open("div", ("class", "chart-card"));
        html.Open("div", ("class", "chart-head"))
            .Element("h2", "Activity", ("id", "activity-title"))
            .Open("p", ("class", "chart-total"))
            .Element("strong", stats.Events.ToString("N0", CultureInfo.InvariantCulture)).Text(stats.Events == 1 ? " event" : " events")
            .Text(" · ").Element("strong", stats.Failures.ToString("N0", CultureInfo.InvariantCulture), ("class", "failure-text")).Text(stats.Failures == 1 ? " failure" : " failures")
            .Text($" · by {ActivityBuckets.Name(stats.Bucket)}, {stats.Zone.Id}")
            .Close("p")
            .Open("ul", ("class", "chart-legend"), ("aria-hidden", "true"))
            .Open("li").Element("span", null, ("class", "swatch swatch-ok")).Text("Success").Close("li")
            .Open("li").Element("span", null, ("class", "swatch swatch-fail")).Text("Failure").Close("li")
            .Close("ul").Close("div");

        WriteSvg(html, view, stats);
        var first = stats.Bars[0];
        var last = stats.Bars[^1];
        html.Open("div", ("class", "chart-axis"), ("aria-hidden", "true"))
            .Element("span", Label(first.Start, stats)).Element("span", Label(last.Start, stats)).Close("div");

        html.Open("details", ("class", "chart-data")).Element("summary", "Show the counts as a table")
            .Open("table", ("class", "chart-table")).Element("caption", $"Events per {ActivityBuckets.Name(stats.Bucket)} in {stats.Zone.Id}")
            .Open("thead").Open("tr").Element("th", "Period", ("scope", "col")).Element("th", "Events", ("scope", "col")).Element("th", "Failures", ("scope", "col")).Close("tr").Close("thead")
            .Open("tbody");
        foreach (var bar in stats.Bars)
        {
            html.Open("tr").Open("th", ("scope", "row")).Element("a", Label(bar.Start, stats), ("href", BarUrl(view, bar, stats))).Close("th")
                .Element("td", bar.Events.ToString("N0", CultureInfo.InvariantCulture))
                .Element("td", bar.Failures.ToString("N0", CultureInfo.InvariantCulture)).Close("tr");
        }

        html.Close("tbody").Close("table").Close("details");
        html.Close("div");

        html.Open("div", ("class", "summaries"));
        Summary(html, "Top users", "top-actors", stats.Actors, c => c.Events, c => (c.Value, null), c => view.Url(("actor", c.Value)));
        Summary(html, "Top actions", "top-actions", stats.Actions, c => c.Events, c => (catalog.Find(view.Tenant, c.Value)?.Description ?? c.Value, c.Value), c => view.Url(("action", c.Value)));
        Summary(html, "Top IP addresses", "top-ips", stats.Ips, c => c.Events, c => (c.Value, null), c => view.Url(("q", AddTerm(view.Filter("q"), $"ip:{c.Value}"))));
        Summary(html, "Failures", "top-failures", stats.FailedActions, c => c.Failures, c => (catalog.Find(view.Tenant, c.Value)?.Description ?? c.Value, c.Value), c => view.Url(("outcome", Outcomes.Failure), ("action", c.Value)));
        html.Close("div").Close("section");
    }

    private static void WriteSvg(HtmlWriter html, AuditLogView view, EventStats stats)
    {
        var max = Math.Max(1, stats.Bars.Max(b => b.Events));
        var step = (double)Width / stats.Bars.Count;
        var gap = step > 4 ? step * 0.18 : 0;
        var description = $"Events per {ActivityBuckets.Name(stats.Bucket)} from {Label(stats.From, stats)} to {Label(stats.Bars[^1].Start, stats)}: {stats.Events:N0} in all, {stats.Failures:N0} failures; the busiest {ActivityBuckets.Name(stats.Bucket)} had {max:N0}. Each bar is a link that narrows the list to its period.";
        html.Open("svg", ("class", "chart"), ("viewBox", $"0 0 {Width} {Height}"), ("preserveAspectRatio", "none"), ("role", "group"),
                ("aria-labelledby", "chart-title"), ("aria-describedby", "chart-desc"), ("xmlns", "http://www.w3.org/2000/svg"))
            .Element("title", "Activity over time", ("id", "chart-title"))
            .Element("desc", description, ("id", "chart-desc"));
        for (var i = 0; i < stats.Bars.Count; i++)
        {
            var bar = stats.Bars[i];
            var x = (i * step) + (gap / 2);
            var w = Math.Max(step - gap, 0.5);
            var label = $"{Label(bar.Start, stats)}: {bar.Events:N0} events, {bar.Failures:N0} failures";
            html.Open("a", ("href", BarUrl(view, bar, stats)), ("class", "bar"), ("aria-label", label))
                .Element("title", label)
                .Void("rect", ("class", "bar-hit"), ("x", F(i * step)), ("y", "0"), ("width", F(step)), ("height", F(Height))).Close("rect");
            if (bar.Events > 0)
            {
                var okHeight = (bar.Events - bar.Failures) * (double)Height / max;
                var failHeight = bar.Failures * (double)Height / max;
                html.Void("rect", ("class", "bar-ok"), ("x", F(x)), ("y", F(Height - okHeight)), ("width", F(w)), ("height", F(okHeight))).Close("rect");
                if (bar.Failures > 0)
                {
                    html.Void("rect", ("class", "bar-fail"), ("x", F(x)), ("y", F(Height - okHeight - failHeight)), ("width", F(w)), ("height", F(failHeight))).Close("rect");
                }
            }

            html.Close("a");
        }

        html.Close("svg");
    }

    private static void Summary(HtmlWriter html, string title, string id, IReadOnlyList<KeyCount> counts, Func<KeyCount, long> count, Func<KeyCount, (string Label, string? Code)> label, Func<KeyCount, string> url)
    {
        html.Open("div", ("class", "summary-card"), ("id", id)).Element("h3", title);
        if (counts.Count == 0)
        {
            html.Element("p", "None", ("class", "muted")).Close("div");
            return;
        }

        html.Open("ol", ("class", "summary-list"));
        foreach (var c in counts.Take(5))
        {
            var (text, code) = label(c);
            html.Open("li").Open("a", ("href", url(c)), ("title", code ?? text)).Element("span", text, ("class", "summary-label"));
            if (code is not null && code != text)
            {
                html.Element("code", code, ("class", "summary-code"));
            }

            html.Close("a").Element("span", count(c).ToString("N0", CultureInfo.InvariantCulture), ("class", "summary-count")).Close("li");
        }

        html.Close("ol").Close("div");
    }

    /// <summary>
    /// The view narrowed to a bar: whole local days as <c>yyyy-MM-dd</c> (the form's date fields show
    /// them), other bars as RFC 3339 instants.
    /// </summary>
    public static string BarUrl(AuditLogView view, ActivityBar bar, EventStats stats)
    {
        var zone = stats.Zone;
        var start = TimeZoneInfo.ConvertTime(bar.Start, zone);
        var end = TimeZoneInfo.ConvertTime(bar.End, zone);
        var wholeDays = stats.Bucket >= StatsBucket.Day
            && bar.Start == ActivityBuckets.Midnight(DateOnly.FromDateTime(start.DateTime), zone)
            && bar.End == ActivityBuckets.Midnight(DateOnly.FromDateTime(end.DateTime), zone);
        var (from, to) = wholeDays
            ? (start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), end.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            : (Rfc3339.Format(bar.Start), Rfc3339.Format(bar.End));
        return view.Url(("range", "custom"), ("from", from), ("to", to));
    }

    private static string Label(DateTimeOffset time, EventStats stats)
    {
        var local = TimeZoneInfo.ConvertTime(time, stats.Zone);
        return stats.Bucket switch
        {
            StatsBucket.Minute => local.ToString("MMM d, yyyy HH:mm", CultureInfo.InvariantCulture),
            StatsBucket.Hour => local.ToString("MMM d, yyyy HH:mm (zzz)", CultureInfo.InvariantCulture),
            StatsBucket.Week => "Week of " + local.ToString("MMM d, yyyy", CultureInfo.InvariantCulture),
            StatsBucket.Month => local.ToString("MMMM yyyy", CultureInfo.InvariantCulture),
            _ => local.ToString("MMM d, yyyy", CultureInfo.InvariantCulture),
        };
    }

    private static string AddTerm(string q, string term) => q.Length == 0 ? term : $"{q} {term}";

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
