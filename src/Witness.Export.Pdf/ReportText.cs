using System.Text;
using PdfSharp.Drawing;

namespace Witness.Export.Pdf;

/// <summary>Breaks text into the lines that fit a width, for table cells and cover values.</summary>
internal static class ReportText
{
    private const string Ellipsis = "…";

    /// <summary>
    /// The lines of <paramref name="text"/> in <paramref name="font"/> no wider than <paramref name="width"/>,
    /// at most <paramref name="maxLines"/>; the last line ends in an ellipsis when text was left out.
    /// Control characters become spaces, so nothing in an event changes the layout.
    /// </summary>
    public static List<string> Wrap(XGraphics gfx, string? text, XFont font, double width, int maxLines)
    {
        var lines = new List<string>();
        var words = Clean(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var current = new StringBuilder();
        foreach (var word in words)
        {
            var candidate = current.Length == 0 ? word : $"{current} {word}";
            if (Fits(gfx, candidate, font, width))
            {
                current.Clear().Append(candidate);
                continue;
            }

            if (current.Length > 0)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            // A word wider than the cell (a URL, a hash) is broken where it reaches the edge.
            var rest = word;
            while (!Fits(gfx, rest, font, width))
            {
                var cut = FittingLength(gfx, rest, font, width);
                lines.Add(rest[..cut]);
                rest = rest[cut..];
            }

            current.Append(rest);
        }

        if (current.Length > 0)
        {
            lines.Add(current.ToString());
        }

        if (lines.Count > maxLines)
        {
            lines.RemoveRange(maxLines, lines.Count - maxLines);
            var last = lines[^1];
            while (last.Length > 0 && !Fits(gfx, last + Ellipsis, font, width))
            {
                last = last[..^1];
            }

            lines[^1] = last + Ellipsis;
        }

        return lines;
    }

    private static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }

    private static bool Fits(XGraphics gfx, string text, XFont font, double width) => gfx.MeasureString(text, font).Width <= width;

    private static int FittingLength(XGraphics gfx, string text, XFont font, double width)
    {
        var length = 1;
        while (length < text.Length && Fits(gfx, text[..(length + 1)], font, width))
        {
            length++;
        }

        // Never split a surrogate pair.
        if (length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length += length > 1 ? -1 : 1;
        }

        return length;
    }
}
