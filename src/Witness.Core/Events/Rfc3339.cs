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

    private const string TrimmedFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'";

    /// <summary>The length of a time in <see cref="TimeForm.Fixed"/>, in bytes: <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public const int FixedLength = 27;

    /// <summary>The longest text <see cref="FormatUtf8(DateTimeOffset, TimeForm, Span{byte})"/> writes, in bytes.</summary>
    public const int MaxFormattedLength = FixedLength;

    /// <summary>
    /// A time in <see cref="TimeForm.Trimmed"/>, the first form of an event's stored times: UTC, <c>Z</c>, fraction
    /// only when non-zero (at most 6 digits). Still the form of the content digest and of events stored before
    /// the fixed form; everything else shows <see cref="FormatFixed"/>.
    /// </summary>
    public static string FormatTrimmed(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TrimmedFormat, CultureInfo.InvariantCulture);

    /// <summary>The form of an event time's text: <see cref="TimeForm.Fixed"/> when it has <see cref="FixedLength"/> bytes (six fraction digits), else <see cref="TimeForm.Trimmed"/>.</summary>
    public static TimeForm FormOf(int textLength) => textLength == FixedLength ? TimeForm.Fixed : TimeForm.Trimmed;

    /// <summary>
    /// The length of <paramref name="text"/>, a time Witness wrote in either form, once written in
    /// <see cref="TimeForm.Trimmed"/>: the fraction's trailing zeros (and a point left alone) dropped before the <c>Z</c>.
    /// </summary>
    public static int TrimmedLength(ReadOnlySpan<byte> text)
    {
        if (text.Length <= 20 || text[19] != (byte)'.')
        {
            return text.Length;
        }

        var end = text.Length - 1;
        while (end > 20 && text[end - 1] == (byte)'0')
        {
            end--;
        }

        if (end == 20)
        {
            // Every fraction digit was zero: the point goes too.
            end = 19;
        }

        return end + 1;
    }

    /// <summary><see cref="FormatUtf8(DateTimeOffset, TimeForm, Span{byte})"/> in <see cref="TimeForm.Fixed"/>: always <see cref="FixedLength"/> bytes.</summary>
    public static int FormatUtf8(DateTimeOffset time, Span<byte> utf8) => FormatUtf8(time, TimeForm.Fixed, utf8);

    /// <summary>
    /// A time as UTF-8 in <paramref name="form"/> into <paramref name="utf8"/> (at least <see cref="MaxFormattedLength"/>
    /// bytes); returns the length written. Written digit by digit: every ingested event is formatted
    /// several times, and the general custom-format path cost half a microsecond each time. The seventh
    /// fraction digit is dropped, not rounded (stored times are whole microseconds).
    /// </summary>
    public static int FormatUtf8(DateTimeOffset time, TimeForm form, Span<byte> utf8)
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
        var micros = (int)(utc.Ticks % TimeSpan.TicksPerSecond / 10);
        if (form == TimeForm.Fixed)
        {
            utf8[19] = (byte)'.';
            Digits(utf8[20..], micros, 6);
            utf8[26] = (byte)'Z';
            return FixedLength;
        }

        // Trimmed (FFFFFF): trailing zeros dropped, and no point at all when every digit is zero.
        var length = 19;
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
    /// The one display form of every time Witness shows (API answers, CLI output, export headers, CSV and
    /// PDF cells, webhook payloads) and of the times in the canonical bytes of every event stored since
    /// <see cref="TimeForm.Fixed"/>: UTC, <c>Z</c> and always six fraction digits, e.g.
    /// <c>2026-12-05T12:00:00.500000Z</c>. Events stored before keep their <see cref="TimeForm.Trimmed"/>
    /// bytes, which their leaf hashes are taken of.
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
