using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Search;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// What an Audit Logs page shows, read from its URL so that every view can be bookmarked and shared:
/// the API's filter parameters (<c>q</c>, <c>category</c>, <c>actor</c>, <c>action</c>,
/// <c>outcome</c>, <c>type</c> for the tab, <c>from</c>/<c>to</c>) plus the console's own
/// <c>range</c> preset, <c>rows</c>, the keyset <c>cursor</c> with its <c>trail</c> of earlier
/// cursors for going back, <c>page</c>, and the <c>event</c> whose details are open.
/// </summary>
public sealed class AuditLogView
{
    public static readonly IReadOnlyList<int> RowChoices = [10, 25, 50, 100];
    public const int DefaultRows = 25;

    /// <summary>Cursors kept for going back; older pages are still reached through "First page".</summary>
    public const int MaxTrail = 40;

    public static readonly IReadOnlyList<(string Value, string Label, TimeSpan? Span)> Ranges =
    [
        ("all", "All time", null),
        ("24h", "Last 24 hours", TimeSpan.FromHours(24)),
        ("7d", "Last 7 days", TimeSpan.FromDays(7)),
        ("30d", "Last 30 days", TimeSpan.FromDays(30)),
        ("90d", "Last 90 days", TimeSpan.FromDays(90)),
        ("custom", "Custom range", null),
    ];

    public static readonly IReadOnlyList<(string Type, string Label)> Tabs =
    [
        (LogTypes.Activity, "Activity"),
        (LogTypes.Access, "Access"),
        (LogTypes.WebhookFailure, "Webhook failures"),
        (LogTypes.IntegrationFailure, "Integration failures"),
    ];

    private static readonly string[] TextFilters = ["q", "category", "actor", "action", "outcome"];

    private AuditLogView(string basePath, string tenant, IReadOnlyList<(string Name, string Value)> carried)
    {
        BasePath = basePath;
        Tenant = tenant;
        Carried = carried;
    }

    /// <summary><c>/console</c> or <c>/embed</c>.</summary>
    public string BasePath { get; }

    public string Tenant { get; }

    /// <summary>Parameters every link of the page keeps: <c>tenant</c> for a platform administrator, <c>token</c> in the viewer.</summary>
    public IReadOnlyList<(string Name, string Value)> Carried { get; }

    /// <summary>The free-text filters as given: q, category, actor, action, outcome.</summary>
    public Dictionary<string, string> Filters { get; } = new(StringComparer.Ordinal);

    public string Type { get; private set; } = LogTypes.Activity;
    public string Range { get; private set; } = "all";
    public string From { get; private set; } = "";
    public string To { get; private set; } = "";
    public int Rows { get; private set; } = DefaultRows;
    public int Page { get; private set; } = 1;
    public EventCursor? Cursor { get; private set; }
    public IReadOnlyList<string> Trail { get; private set; } = [];
    public string? OpenEvent { get; private set; }

    public string Filter(string name) => Filters.TryGetValue(name, out var value) ? value : "";

    public bool HasFilters => Filters.Count > 0 || Range != "all";

    public static AuditLogView Read(IQueryCollection query, string basePath, string tenant, IReadOnlyList<(string Name, string Value)> carried)
    {
        var view = new AuditLogView(basePath, tenant, carried);
        foreach (var name in TextFilters)
        {
            var value = query[name].ToString().Trim();
            if (value.Length > 0)
            {
                view.Filters[name] = value[..Math.Min(value.Length, 1024)];
            }
        }

        var type = query["type"].ToString();
        view.Type = Tabs.Any(t => t.Type == type) ? type : LogTypes.Activity;
        view.From = query["from"].ToString().Trim();
        view.To = query["to"].ToString().Trim();
        var range = query["range"].ToString();
        view.Range = Ranges.Any(r => r.Value == range) ? range : (view.From.Length > 0 || view.To.Length > 0 ? "custom" : "all");
        if (view.Range != "custom")
        {
            view.From = view.To = "";
        }

        view.Rows = int.TryParse(query["rows"], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) && RowChoices.Contains(rows) ? rows : DefaultRows;
        if (EventCursor.TryParse(query["cursor"], out var cursor))
        {
            view.Cursor = cursor;
            view.Page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 1 ? page : 2;
            view.Trail = [.. query["trail"].ToString().Split('.', StringSplitOptions.RemoveEmptyEntries).Where(c => EventCursor.TryParse(c, out _)).TakeLast(MaxTrail)];
        }

        var open = query["event"].ToString();
        view.OpenEvent = open.Length is > 0 and <= 128 ? open : null;
        return view;
    }

    /// <summary>
    /// The API filter parameters this view stands for: its filters, the tab as <c>type</c>, and the
    /// time range as <c>from</c>/<c>to</c> (a preset counted back from <paramref name="now"/>).
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> ApiParameters(DateTimeOffset now)
    {
        var parameters = new List<(string, string)>();
        var span = Ranges.First(r => r.Value == Range).Span;
        if (span is { } back)
        {
            var from = now - back;
            parameters.Add(("from", Rfc3339.FormatTrimmed(from.AddTicks(-(from.Ticks % TimeSpan.TicksPerSecond)))));
        }
        else if (Range == "custom")
        {
            if (From.Length > 0)
            {
                parameters.Add(("from", From));
            }

            if (To.Length > 0)
            {
                parameters.Add(("to", To));
            }
        }

        parameters.AddRange(TextFilters.Where(Filters.ContainsKey).Select(name => (name, Filters[name])));
        parameters.Add(("type", Type));
        return parameters;
    }

    /// <exception cref="SearchSyntaxException">A filter is invalid; the message names it.</exception>
    public EventFilter BuildFilter(DateTimeOffset now, TimeZoneInfo zone)
    {
        var parameters = ApiParameters(now);
        return EventFilterBinder.FromParameters(name => parameters.Where(p => p.Name == name).Select(p => p.Value).FirstOrDefault(), zone);
    }

    /// <summary>The URL of this view with some parameters changed; paging and the open event are dropped unless given again.</summary>
    public string Url(params ReadOnlySpan<(string Name, string? Value)> changes)
    {
        var parameters = new List<(string Name, string? Value)>(Carried.Select(c => (c.Name, (string?)c.Value)));
        parameters.AddRange(TextFilters.Where(Filters.ContainsKey).Select(name => (name, (string?)Filters[name])));
        parameters.Add(("type", Type == LogTypes.Activity ? null : Type));
        parameters.Add(("range", Range == "all" ? null : Range));
        parameters.Add(("from", From.Length > 0 ? From : null));
        parameters.Add(("to", To.Length > 0 ? To : null));
        parameters.Add(("rows", Rows == DefaultRows ? null : Rows.ToString(CultureInfo.InvariantCulture)));
        foreach (var (name, value) in changes)
        {
            var index = parameters.FindIndex(p => p.Name == name);
            if (index >= 0)
            {
                parameters[index] = (name, value);
            }
            else
            {
                parameters.Add((name, value));
            }
        }

        return Build(BasePath, parameters);
    }

    /// <summary>This very page (same cursor), with <paramref name="changes"/> applied.</summary>
    public string PageUrl(params ReadOnlySpan<(string Name, string? Value)> changes)
    {
        var paging = new List<(string Name, string? Value)>
        {
            ("cursor", Cursor?.ToString()),
            ("trail", Trail.Count > 0 ? string.Join('.', Trail) : null),
            ("page", Cursor is null ? null : Page.ToString(CultureInfo.InvariantCulture)),
        };
        foreach (var change in changes)
        {
            paging.RemoveAll(p => p.Name == change.Name);
            paging.Add(change);
        }

        return Url([.. paging]);
    }

    /// <summary>The next page, after <paramref name="next"/>, remembering this page's cursor for going back.</summary>
    public string NextUrl(EventCursor next)
    {
        var trail = Cursor is null ? Trail : [.. Trail, Cursor.ToString()];
        return Url(
            ("cursor", next.ToString()),
            ("trail", trail.Count > 0 ? string.Join('.', trail.TakeLast(MaxTrail)) : null),
            ("page", (Page + 1).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The previous page, or the first page when no earlier cursor is remembered.</summary>
    public string PreviousUrl()
    {
        if (Page <= 2 || Trail.Count == 0)
        {
            return Url();
        }

        return Url(
            ("cursor", Trail[^1]),
            ("trail", Trail.Count > 1 ? string.Join('.', Trail.Take(Trail.Count - 1)) : null),
            ("page", (Page - 1).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Hidden form fields that keep the carried parameters and the tab when a filter form is sent.</summary>
    public IReadOnlyList<(string Name, string Value)> FormState(bool withFilters)
    {
        var fields = new List<(string, string)>(Carried);
        if (Type != LogTypes.Activity)
        {
            fields.Add(("type", Type));
        }

        if (withFilters)
        {
            fields.AddRange(TextFilters.Where(Filters.ContainsKey).Select(name => (name, Filters[name])));
            if (Range != "all")
            {
                fields.Add(("range", Range));
            }

            if (From.Length > 0)
            {
                fields.Add(("from", From));
            }

            if (To.Length > 0)
            {
                fields.Add(("to", To));
            }
        }
        else if (Rows != DefaultRows)
        {
            fields.Add(("rows", Rows.ToString(CultureInfo.InvariantCulture)));
        }

        return fields;
    }

    public static string Build(string path, IEnumerable<(string Name, string? Value)> parameters)
    {
        var url = new StringBuilder(path);
        var first = true;
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            url.Append(first ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }

        return url.ToString();
    }
}
