using System.Globalization;
using System.Text.RegularExpressions;

namespace Witness.Events;

/// <summary>RFC 3339 date-times: a full date, a time, and a mandatory offset (<c>Z</c> or <c>±hh:mm</c>).</summary>
public static partial class Rfc3339
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\z")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out DateTimeOffset time)
    {
        time = default;
        return Pattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    private const string StoredFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'";

    /// <summary>The longest text <see cref="Format"/> writes, in bytes.</summary>
    public const int MaxFormattedLength = 27;

    /// <summary>The one text form of a stored time: UTC, <c>Z</c>, fraction only when non-zero (at most 6 digits).</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString(StoredFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// <see cref="Format"/> as UTF-8 into <paramref name="utf8"/> (at least <see cref="MaxFormattedLength"/>
    /// bytes); returns the length written. Written digit by digit: every ingested event is formatted
    /// several times, and the general custom-format path cost half a microsecond each time.
    /// </summary>
    public static int FormatUtf8(DateTimeOffset time, Span<byte> utf8)
    {
        if (utf8.Length < MaxFormattedLength)
        {
            throw new ArgumentException($"needs {MaxFormattedLength} bytes", nameof(utf8));
        }

        var utc = time.UtcDateTime;
        var (year, month, day) = utc;
        Digits(utf8, year, 4);
        utf8[4] = (byte)'-';
        Digits(utf8[5..], month, 2);
        utf8[7] = (byte)'-';
        Digits(utf8[8..], day, 2);
        utf8[10] = (byte)'T';
        Digits(utf8[11..], utc.Hour, 2);
        utf8[13] = (byte)':';
        Digits(utf8[14..], utc.Minute, 2);
        utf8[16] = (byte)':';
        Digits(utf8[17..], utc.Second, 2);
        var length = 19;

        // FFFFFF: the first six digits of the fraction (the seventh is dropped, not rounded), trailing zeros
        // trimmed, and no point at all when they are all zero.
        var micros = (int)(utc.Ticks % TimeSpan.TicksPerSecond / 10);
        if (micros != 0)
        {
            var digits = 6;
            while (micros % 10 == 0)
            {
                micros /= 10;
                digits--;
            }

            utf8[length++] = (byte)'.';
            Digits(utf8[length..], micros, digits);
            length += digits;
        }

        utf8[length++] = (byte)'Z';
        return length;
    }

    /// <summary>
    /// The one display form of every time Witness shows outside an event's hashed body (API answers,
    /// CLI output, export headers, CSV and PDF cells, webhook payloads): UTC, <c>Z</c> and always six
    /// fraction digits, e.g. <c>2026-12-05T12:00:00.500000Z</c>. An event's own <c>received_at</c> and
    /// <c>occurred_at</c> keep <see cref="Format"/>: they are part of the bytes its leaf hash is taken of.
    /// </summary>
    public static string FormatFixed(DateTimeOffset time) =>
        time.UtcDateTime.ToString(FixedFormat, CultureInfo.InvariantCulture);

    private const string FixedFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static void Digits(Span<byte> utf8, int value, int count)
    {
        for (var i = count - 1; i >= 0; i--)
        {
            utf8[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
