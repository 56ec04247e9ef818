using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using Witness.Events;
using Witness.Stats;

namespace Witness.Export.Pdf;

/// <summary>
/// The compliance report: a summary page (tenant, period, filters, counts by type and outcome, the
/// activity histogram, top actors and actions, failures, then the integrity block: the signed
/// checkpoint, the SHA-256 of the exported events and how to verify), then the events newest first as
/// a paged table with page numbers. The summary is tallied from the same events the table lists. Drawn with PDFsharp (AGPL v3, loaded explicitly) and DejaVu Sans; no HTML.
/// </summary>
/// <remarks>
/// The events are spooled to a temporary file first, so the cover can carry their count and hash
/// without holding them in memory. PDFsharp keeps a document's pages in memory until it is saved,
/// so a report holds at most <see cref="MaxEvents"/> events; larger exports are refused with
/// <see cref="ExportTooLargeException"/> before any byte is written.
/// </remarks>
public sealed class PdfExportWriter : IExportWriter
{
    /// <summary>The environment variable that overrides the folder of DejaVuSans.ttf and DejaVuSans-Bold.ttf.</summary>
    public const string FontFolderVariable = "WITNESS_PDF_FONTS";

    /// <summary>Where Debian's fonts-dejavu-core puts the faces.</summary>
    public const string DebianFontFolder = "/usr/share/fonts/truetype/dejavu";

    private const double Margin = 36;
    private const double CellPadding = 3;
    private const double LineHeight = 9.5;
    private const int MaxLinesPerCell = 4;

    private static readonly Lock FontSetup = new();
    private static bool _fontsReady;

    private static readonly (string Title, double Width)[] TableColumns =
    [
        ("Seq", 40), ("Time", 92), ("User", 110), ("Action", 100), ("Description", 196), ("Targets", 110), ("Outcome", 46), ("IP / country", 76),
    ];

    /// <param name="maxEvents">The most events one report may hold.</param>
    public PdfExportWriter(int maxEvents = 20_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        MaxEvents = maxEvents;
    }

    public int MaxEvents { get; }

    public string Format => "pdf";

    public string Extension => "pdf";

    public string ContentType => "application/pdf";

    public async Task<long> WriteAsync(ExportSource source, Stream output, CancellationToken ct)
    {
        EnsureFonts();
        var spoolPath = Path.Combine(Path.GetTempPath(), $"witness-pdf-{Guid.NewGuid():N}.ndjson");
        var spool = new FileStream(spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool.ConfigureAwait(false))
        {
            var summary = new ReportSummary();
            var (count, sha256) = await SpoolAsync(source, spool, summary, ct).ConfigureAwait(false);
            if (count > MaxEvents)
            {
                throw new ExportTooLargeException(Format, count, MaxEvents);
            }

            spool.Position = 0;
            using var document = new PdfDocument();
            document.Info.Title = $"Audit log of {source.Tenant}";
            document.Info.Creator = "Witness";
            document.Options.CompressContentStreams = true;
            DrawCover(document, source, count, sha256, summary);
            await DrawTableAsync(document, source, spool, ct).ConfigureAwait(false);
            NumberPages(document, source);

            // PDFsharp seeks while saving; the finished file goes through a second temporary file.
            var pdfPath = Path.Combine(Path.GetTempPath(), $"witness-pdf-{Guid.NewGuid():N}.pdf");
            var pdf = new FileStream(pdfPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await using (pdf.ConfigureAwait(false))
            {
                await document.SaveAsync(pdf, closeStream: false).ConfigureAwait(false);
                pdf.Position = 0;
                await pdf.CopyToAsync(output, ct).ConfigureAwait(false);
                await output.FlushAsync(ct).ConfigureAwait(false);
            }

            return count;
        }
    }

    /// <summary>
    /// Writes each event as the API shows it, one per line, and hashes the same events as the JSON
    /// export writes them (<c>[e1,e2,…]</c>), so the cover's hash can be checked against that file.
    /// </summary>
    private static async Task<(long Count, string Sha256)> SpoolAsync(ExportSource source, FileStream spool, ReportSummary summary, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        sha.AppendData("["u8);
        long count = 0;
        await foreach (var stored in source.NewestFirstAsync(ct).ConfigureAwait(false))
        {
            if (count++ > 0)
            {
                sha.AppendData(","u8);
            }

            summary.Add(stored.Event);
            var start = buffer.WrittenCount;
            CanonicalEvent.WriteWithHash(buffer, stored.Body, stored.Hash);
            sha.AppendData(buffer.WrittenSpan[start..]);
            buffer.Write("\n"u8);
            if (buffer.WrittenCount > 48 * 1024)
            {
                await spool.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        sha.AppendData("]"u8);
        await spool.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        await spool.FlushAsync(ct).ConfigureAwait(false);
        return (count, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static PdfPage NewPage(PdfDocument document)
    {
        var page = document.AddPage();
        page.Size = PageSize.A4;
        page.Orientation = PageOrientation.Landscape;
        return page;
    }

    private static XFont Font(double size, bool bold = false) =>
        new(DejaVuFontResolver.Family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular, new XPdfFontOptions(PdfFontEncoding.Unicode));

    private static void DrawCover(PdfDocument document, ExportSource source, long count, string sha256, ReportSummary summary)
    {
        var page = NewPage(document);
        using var gfx = XGraphics.FromPdfPage(page);
        var width = page.Width.Point - (2 * Margin);
        var y = Margin;
        gfx.DrawString("Audit log report", Font(20, bold: true), XBrushes.Black, new XRect(Margin, y, width, 26), XStringFormats.TopLeft);
        y += 34;

        var label = Font(9, bold: true);
        var value = Font(9);
        var small = Font(8);
        var filters = source.Filters.Count == 0
            ? "none: the whole log"
            : string.Join("; ", source.Filters.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} = {f.Value}"));
        var localNow = TimeZoneInfo.ConvertTime(source.GeneratedAt, source.Zone);
        const double labelWidth = 70;
        const double leftWidth = 330;
        var rows = new List<(string, string)>
        {
            ("Tenant", source.Tenant),
            ("Period", $"{source.Period.From:yyyy-MM-dd} to {source.Period.To:yyyy-MM-dd} ({source.Zone.Id})"),
            ("Filters", filters),
            ("Events", $"{count.ToString("N0", CultureInfo.InvariantCulture)}, of which {summary.Failures.ToString("N0", CultureInfo.InvariantCulture)} failures"),
            ("Generated", $"{Rfc3339.FormatFixed(source.GeneratedAt)} ({localNow.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture)})"),
        };
        var top = y;
        y = Rows(gfx, rows, Margin, y, labelWidth, leftWidth, label, value, 3);

        // Counts by type and outcome.
        y += 8;
        gfx.DrawString("Events by type and outcome", label, XBrushes.Black, new XRect(Margin, y, leftWidth, 12), XStringFormats.TopLeft);
        y += 14;
        double[] columns = [Margin, Margin + 150, Margin + 210, Margin + 270];
        string[] headings = ["Type", "Success", "Failure", "Total"];
        for (var i = 0; i < headings.Length; i++)
        {
            gfx.DrawString(headings[i], small, XBrushes.DimGray, new XRect(columns[i], y, 60, 10), i == 0 ? XStringFormats.TopLeft : XStringFormats.TopLeft);
        }

        y += 11;
        foreach (var (type, events, failures) in summary.Types.Take(6).Append(("All types", summary.Events, summary.Failures)))
        {
            string[] cells = [type, (events - failures).ToString("N0", CultureInfo.InvariantCulture), failures.ToString("N0", CultureInfo.InvariantCulture), events.ToString("N0", CultureInfo.InvariantCulture)];
            for (var i = 0; i < cells.Length; i++)
            {
                gfx.DrawString(ReportText.Wrap(gfx, cells[i], value, 140, 1).FirstOrDefault() ?? "", type == "All types" ? label : value,
                    i == 2 && failures > 0 ? XBrushes.DarkRed : XBrushes.Black, new XRect(columns[i], y, 140, 11), XStringFormats.TopLeft);
            }

            y += 12;
        }

        // The histogram, beside the facts.
        var chartX = Margin + leftWidth + 30;
        var chartWidth = width - leftWidth - 30;
        DrawHistogram(gfx, source, summary, chartX, top, chartWidth, 150, label, small);
        y = Math.Max(y, top + 150 + 40) + 10;

        // Top actors, top actions, failures.
        var third = width / 3;
        var lists = new (string Title, IEnumerable<(string Value, long Count)> Items)[]
        {
            ("Top actors", summary.TopActors(5)), ("Top actions", summary.TopActions(5)), ("Failures by action", summary.TopFailures(5)),
        };
        var listBottom = y;
        for (var i = 0; i < lists.Length; i++)
        {
            var x = Margin + (i * third);
            var ly = y;
            gfx.DrawString(lists[i].Title, label, XBrushes.Black, new XRect(x, ly, third - 12, 12), XStringFormats.TopLeft);
            ly += 14;
            var any = false;
            foreach (var (name, n) in lists[i].Items)
            {
                any = true;
                var number = n.ToString("N0", CultureInfo.InvariantCulture);
                gfx.DrawString(ReportText.Wrap(gfx, name, value, third - 70, 1).FirstOrDefault() ?? "", value, XBrushes.Black, new XRect(x, ly, third - 70, 11), XStringFormats.TopLeft);
                gfx.DrawString(number, value, i == 2 ? XBrushes.DarkRed : XBrushes.Black, new XRect(x, ly, third - 20, 11), XStringFormats.TopRight);
                ly += 12;
            }

            if (!any)
            {
                gfx.DrawString("none", value, XBrushes.DimGray, new XRect(x, ly, third - 12, 11), XStringFormats.TopLeft);
                ly += 12;
            }

            listBottom = Math.Max(listBottom, ly);
        }

        // The integrity block.
        y = listBottom + 10;
        gfx.DrawLine(new XPen(XColor.FromArgb(210, 210, 210), 0.5), Margin, y, Margin + width, y);
        y += 8;
        gfx.DrawString("Integrity", Font(11, bold: true), XBrushes.Black, new XRect(Margin, y, width, 14), XStringFormats.TopLeft);
        y += 18;
        y = Rows(gfx,
            [
                ("Log checkpoint", source.Checkpoint is { } cp
                    ? $"{source.CheckpointOrigin}, {cp.Size.ToString("N0", CultureInfo.InvariantCulture)} events, root hash {Convert.ToBase64String(cp.RootHash)}"
                    : "none: the tenant has no events"),
                ("Events SHA-256", sha256),
            ],
            Margin, y, 100, width, label, value, 2);
        y += 2;
        gfx.DrawString("Signed checkpoint", label, XBrushes.Black, new XRect(Margin, y, width, 12), XStringFormats.TopLeft);
        y += 13;
        var note = Font(7.5);
        foreach (var noteLine in (source.Checkpoint?.Note ?? "(none)").TrimEnd('\n').Split('\n'))
        {
            foreach (var line in ReportText.Wrap(gfx, noteLine.Length == 0 ? " " : noteLine, note, width - 10, 2))
            {
                gfx.DrawString(line, note, XBrushes.Black, new XRect(Margin + 10, y, width - 10, 10), XStringFormats.TopLeft);
                y += 9.5;
            }
        }

        y += 6;
        string[] explanation =
        [
            "How to verify: the events follow, newest first. The Events SHA-256 is the hash of these events exactly as the JSON export (format=json with the same filters) writes them.",
            "The checkpoint is a C2SP signed note by the log's key (GET /v1/public-key). To prove that no event was changed, removed or inserted, verify an NDJSON export of the same",
            "log offline: witness verify --file export.ndjson --public-key key.pem",
        ];
        foreach (var line in explanation)
        {
            gfx.DrawString(line, small, XBrushes.DimGray, new XRect(Margin, y, width, 10), XStringFormats.TopLeft);
            y += 10;
        }
    }

    /// <summary>Label and value rows; returns the y below them.</summary>
    private static double Rows(XGraphics gfx, IEnumerable<(string Name, string Text)> rows, double x, double y, double labelWidth, double width, XFont label, XFont value, int maxLines)
    {
        foreach (var (name, text) in rows)
        {
            gfx.DrawString(name, label, XBrushes.Black, new XRect(x, y, labelWidth, 12), XStringFormats.TopLeft);
            foreach (var line in ReportText.Wrap(gfx, text, value, width - labelWidth, maxLines))
            {
                gfx.DrawString(line, value, XBrushes.Black, new XRect(x + labelWidth, y, width - labelWidth, 12), XStringFormats.TopLeft);
                y += 12;
            }

            y += 3;
        }

        return y;
    }

    /// <summary>Bars of the events per bucket of the period in the tenant's zone, failures stacked on top in red, drawn with XGraphics.</summary>
    private static void DrawHistogram(XGraphics gfx, ExportSource source, ReportSummary summary, double x, double y, double width, double height, XFont label, XFont small)
    {
        var from = ActivityBuckets.Midnight(source.Period.From, source.Zone);
        var to = ActivityBuckets.Midnight(source.Period.To.AddDays(1), source.Zone);
        var (bucket, bars) = summary.Histogram(from, to > from ? to : from.AddDays(1), source.Zone);
        gfx.DrawString($"Events per {ActivityBuckets.Name(bucket)} ({source.Zone.Id})", label, XBrushes.Black, new XRect(x, y, width, 12), XStringFormats.TopLeft);
        var top = y + 18;
        var max = Math.Max(1, bars.Max(b => b.Events));
        var step = width / bars.Count;
        var gap = step > 4 ? step * 0.18 : 0;
        var ok = new XSolidBrush(XColor.FromArgb(79, 70, 229));
        var fail = new XSolidBrush(XColor.FromArgb(185, 28, 28));
        gfx.DrawRectangle(ok, x + width - 110, y + 2, 7, 7);
        gfx.DrawString("success", small, XBrushes.DimGray, new XRect(x + width - 100, y, 45, 10), XStringFormats.TopLeft);
        gfx.DrawRectangle(fail, x + width - 52, y + 2, 7, 7);
        gfx.DrawString("failure", small, XBrushes.DimGray, new XRect(x + width - 42, y, 42, 10), XStringFormats.TopLeft);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var okHeight = (bar.Events - bar.Failures) * height / max;
            var failHeight = bar.Failures * height / max;
            var bx = x + (i * step) + (gap / 2);
            if (okHeight > 0)
            {
                gfx.DrawRectangle(ok, bx, top + height - okHeight, Math.Max(step - gap, 0.3), okHeight);
            }

            if (failHeight > 0)
            {
                gfx.DrawRectangle(fail, bx, top + height - okHeight - failHeight, Math.Max(step - gap, 0.3), failHeight);
            }
        }

        gfx.DrawLine(new XPen(XColor.FromArgb(160, 160, 160), 0.5), x, top + height, x + width, top + height);
        gfx.DrawString(max.ToString("N0", CultureInfo.InvariantCulture), small, XBrushes.DimGray, new XRect(x - 40, top - 4, 36, 10), XStringFormats.TopRight);
        gfx.DrawString("0", small, XBrushes.DimGray, new XRect(x - 40, top + height - 8, 36, 10), XStringFormats.TopRight);
        string Label(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, source.Zone).ToString(bucket <= StatsBucket.Hour ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
        gfx.DrawString(Label(bars[0].Start), small, XBrushes.DimGray, new XRect(x, top + height + 3, width, 10), XStringFormats.TopLeft);
        gfx.DrawString(Label(bars[^1].Start), small, XBrushes.DimGray, new XRect(x, top + height + 3, width, 10), XStringFormats.TopRight);
    }

    private static async Task DrawTableAsync(PdfDocument document, ExportSource source, FileStream spool, CancellationToken ct)
    {
        var headerFont = Font(7.5, bold: true);
        var cellFont = Font(7.5);
        using var reader = new StreamReader(spool, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        PdfPage? page = null;
        XGraphics? gfx = null;
        double y = 0;
        double bottom = 0;
        var shaded = false;
        try
        {
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                AuditEvent e;
                long seq;
                using (var doc = JsonDocument.Parse(line))
                {
                    e = CanonicalEvent.FromElement(doc.RootElement);
                    seq = e.Seq;
                }

                if (gfx is null)
                {
                    (page, gfx, y, bottom) = StartTablePage(document, source, headerFont);
                }

                var cells = Cells(e, seq, source.Zone);
                var wrapped = new List<string>[cells.Length];
                var lines = 1;
                for (var i = 0; i < cells.Length; i++)
                {
                    wrapped[i] = ReportText.Wrap(gfx, cells[i], cellFont, TableColumns[i].Width - (2 * CellPadding), MaxLinesPerCell);
                    lines = Math.Max(lines, wrapped[i].Count);
                }

                var height = (lines * LineHeight) + (2 * CellPadding);
                if (y + height > bottom)
                {
                    gfx.Dispose();
                    (page, gfx, y, bottom) = StartTablePage(document, source, headerFont);
                    shaded = false;
                }

                var width = TableColumns.Sum(c => c.Width);
                if (shaded)
                {
                    gfx.DrawRectangle(new XSolidBrush(XColor.FromArgb(246, 246, 246)), Margin, y, width, height);
                }

                shaded = !shaded;
                var x = Margin;
                for (var i = 0; i < cells.Length; i++)
                {
                    var ly = y + CellPadding;
                    foreach (var text in wrapped[i])
                    {
                        var brush = i == 6 && e.Outcome == Outcomes.Failure ? XBrushes.DarkRed : XBrushes.Black;
                        gfx.DrawString(text, cellFont, brush, new XRect(x + CellPadding, ly, TableColumns[i].Width - (2 * CellPadding), LineHeight), XStringFormats.TopLeft);
                        ly += LineHeight;
                    }

                    x += TableColumns[i].Width;
                }

                y += height;
                gfx.DrawLine(new XPen(XColor.FromArgb(220, 220, 220), 0.4), Margin, y, Margin + width, y);
            }

            if (gfx is null)
            {
                (_, gfx, y, _) = StartTablePage(document, source, headerFont);
                gfx.DrawString("No events match the filters.", cellFont, XBrushes.Black, new XRect(Margin, y + 6, 400, 12), XStringFormats.TopLeft);
            }
        }
        finally
        {
            gfx?.Dispose();
        }
    }

    private static string[] Cells(AuditEvent e, long seq, TimeZoneInfo zone)
    {
        var where = string.Join(" ", new[] { e.Context?.Ip, e.Context?.Location?.Country }.Where(v => !string.IsNullOrEmpty(v)));
        var outcome = e.Reason is null ? e.Outcome : $"{e.Outcome}: {e.Reason}";
        var user = e.Actor.Email is { } email && email != e.Actor.DisplayName ? $"{e.Actor.DisplayName} <{email}>" : e.Actor.DisplayName;
        return
        [
            seq.ToString(CultureInfo.InvariantCulture), EventCells.TimeShown(e, zone), user, e.Action, EventCells.Description(e),
            EventCells.Targets(e), outcome, where,
        ];
    }

    private static (PdfPage Page, XGraphics Gfx, double Y, double Bottom) StartTablePage(PdfDocument document, ExportSource source, XFont headerFont)
    {
        var page = NewPage(document);
        var gfx = XGraphics.FromPdfPage(page);
        var y = Margin;
        gfx.DrawString($"Audit log of {source.Tenant}, {source.Period.From:yyyy-MM-dd} to {source.Period.To:yyyy-MM-dd}, times in {source.Zone.Id}",
            Font(9, bold: true), XBrushes.Black, new XRect(Margin, y, page.Width.Point - (2 * Margin), 12), XStringFormats.TopLeft);
        y += 18;
        var width = TableColumns.Sum(c => c.Width);
        gfx.DrawRectangle(new XSolidBrush(XColor.FromArgb(225, 230, 238)), Margin, y, width, LineHeight + (2 * CellPadding));
        var x = Margin;
        foreach (var (title, columnWidth) in TableColumns)
        {
            gfx.DrawString(title, headerFont, XBrushes.Black, new XRect(x + CellPadding, y + CellPadding, columnWidth - (2 * CellPadding), LineHeight), XStringFormats.TopLeft);
            x += columnWidth;
        }

        y += LineHeight + (2 * CellPadding);
        return (page, gfx, y, page.Height.Point - Margin - 14);
    }

    /// <summary>Adds "Page n of N" to every page once the number of pages is known.</summary>
    private static void NumberPages(PdfDocument document, ExportSource source)
    {
        var font = Font(7.5);
        var total = document.PageCount;
        for (var i = 0; i < total; i++)
        {
            var page = document.Pages[i];
            using var gfx = XGraphics.FromPdfPage(page, XGraphicsPdfPageOptions.Append);
            var y = page.Height.Point - Margin;
            var width = page.Width.Point - (2 * Margin);
            gfx.DrawString($"Witness audit log export · {source.Tenant} · generated {Rfc3339.FormatFixed(source.GeneratedAt)}", font, XBrushes.DimGray,
                new XRect(Margin, y, width, 10), XStringFormats.TopLeft);
            gfx.DrawString($"Page {i + 1} of {total}", font, XBrushes.DimGray, new XRect(Margin, y, width, 10), XStringFormats.TopRight);
        }
    }

    /// <summary>Loads the AGPL license of PDFsharp and the fonts, once per process.</summary>
    private static void EnsureFonts()
    {
        lock (FontSetup)
        {
            if (_fontsReady)
            {
                return;
            }

            PdfSharpLicense.SetAgplLicense();
            var folder = Environment.GetEnvironmentVariable(FontFolderVariable) is { Length: > 0 } configured ? configured : DebianFontFolder;
            GlobalFontSettings.FontResolver = DejaVuFontResolver.Load(folder);
            _fontsReady = true;
        }
    }
}
