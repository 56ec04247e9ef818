using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Witness.Events;

namespace Witness.Export;

/// <summary>
/// An event's fields as the text a person reads in a spreadsheet or a report: times in UTC and in the
/// tenant's zone, the actor's shown name, targets and changes on one line. Plain text: each format
/// escapes it for its own medium.
/// </summary>
public static class EventCells
{
    /// <summary>RFC 3339 in UTC, seconds precision unless the event has fractions.</summary>
    public static string TimeUtc(AuditEvent e) => Rfc3339.FormatFixed(e.OccurredAt);

    /// <summary>The time in <paramref name="zone"/> with its offset: <c>2023-06-22 17:06:00 +02:00</c>.</summary>
    public static string TimeLocal(AuditEvent e, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(e.OccurredAt, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    /// <summary>The time as the console shows it, in <paramref name="zone"/>: <c>Jun 22, 2023 03:06 PM</c>.</summary>
    public static string TimeShown(AuditEvent e, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(e.OccurredAt, zone).ToString("MMM d, yyyy hh:mm tt", CultureInfo.InvariantCulture);

    public static string User(AuditEvent e) => e.Actor.DisplayName;

    /// <summary>Each target as <c>type:id (name)</c>, separated by <c>; </c>.</summary>
    public static string Targets(AuditEvent e) =>
        string.Join("; ", e.Targets.Select(t => t.Name is null ? $"{t.Type}:{t.Id}" : $"{t.Type}:{t.Id} ({t.Name})"));

    /// <summary>The description, or the action's name when the event has none.</summary>
    public static string Description(AuditEvent e) => e.Description ?? e.Action;

    /// <summary><c>{"before":…,"after":…}</c> in canonical JSON, or empty when the event records no change.</summary>
    public static string Changes(AuditEvent e)
    {
        if (e.Changes is not { } changes)
        {
            return "";
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (changes.Before is { } before)
            {
                w.WritePropertyName("before");
                CanonicalJson.Write(w, before);
            }

            if (changes.After is { } after)
            {
                w.WritePropertyName("after");
                CanonicalJson.Write(w, after);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
