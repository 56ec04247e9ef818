using System.Globalization;
using Witness.Events;

namespace Witness.Server.Console;

/// <summary>How the console writes times, places and people.</summary>
internal static class ConsoleFormat
{
    /// <summary>A time in the tenant's zone as the list shows it: <c>Jun 22, 2023 03:06 PM</c>.</summary>
    public static string LocalTime(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("MMM dd, yyyy hh:mm tt", CultureInfo.InvariantCulture);

    /// <summary>The same time with seconds, for the details panel.</summary>
    public static string LocalTimeWithSeconds(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("MMM dd, yyyy hh:mm:ss tt", CultureInfo.InvariantCulture);

    public static string Utc(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"Milan, Italy" from a city and an ISO country code; the code itself when the machine does not know it.</summary>
    public static string? Location(EventLocation? location)
    {
        if (location is null)
        {
            return null;
        }

        var parts = new List<string>(2);
        if (!string.IsNullOrWhiteSpace(location.City))
        {
            parts.Add(location.City);
        }

        if (!string.IsNullOrWhiteSpace(location.Country))
        {
            parts.Add(CountryName(location.Country));
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private static string CountryName(string code)
    {
        if (code.Length != 2 || !code.All(char.IsAsciiLetter))
        {
            return code;
        }

        try
        {
            return new RegionInfo(code).EnglishName;
        }
        catch (ArgumentException)
        {
            return code;
        }
    }

    /// <summary>One or two letters for an avatar.</summary>
    public static string Initials(string name)
    {
        var words = name.Split([' ', '.', '_', '-', '@'], StringSplitOptions.RemoveEmptyEntries);
        var letters = words.Take(2).Select(w => w.EnumerateRunes().First().ToString().ToUpperInvariant());
        var initials = string.Concat(letters);
        return initials.Length == 0 ? "?" : initials;
    }

    /// <summary>One of six avatar colours, the same for the same person on every page and every start.</summary>
    public static string AvatarClass(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return $"avatar av-{hash % 6}";
    }

    public static string TypeLabel(string type) =>
        AuditLogView.Tabs.FirstOrDefault(t => t.Type == type).Label ?? type;

    public static string OutcomeLabel(string outcome) => outcome == Outcomes.Failure ? "Failure" : "Success";

    public static string OutcomeClass(string outcome) => outcome == Outcomes.Failure ? "badge badge-failure" : "badge badge-success";

    /// <summary>
    /// <paramref name="url"/> when it is an absolute http or https URL, else null, so that no other
    /// scheme (<c>javascript:</c>, <c>data:</c>) ever becomes a link.
    /// </summary>
    public static string? SafeLink(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
}
