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

namespace Witness.Export.Pdf;

/// <summary>
/// The compliance report: a cover (tenant, period, filters, event count, generation time, the signed
/// checkpoint and the SHA-256 of the exported events), then the events newest first as a paged table
/// with page numbers. Drawn with PDFsharp (AGPL v3, loaded explicitly) and DejaVu Sans; no HTML.
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
            var (count, sha256) = await SpoolAsync(source, spool, ct).ConfigureAwait(false);
            if (count > MaxEvents)
            {
                throw new ExportTooLargeException(Format, count, MaxEvents);
            }

            spool.Position = 0;
            using var document = new PdfDocument();
            document.Info.Title = $"Audit log of {source.Tenant}";
            document.Info.Creator = "Witness";
            document.Options.CompressContentStreams = true;
            DrawCover(document, source, count, sha256);
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
    private static async Task<(long Count, string Sha256)> SpoolAsync(ExportSource source, FileStream spool, CancellationToken ct)
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

    private static void DrawCover(PdfDocument document, ExportSource source, long count, string sha256)
    {
        var page = NewPage(document);
        using var gfx = XGraphics.FromPdfPage(page);
        var width = page.Width.Point - (2 * Margin);
        var y = Margin;
        gfx.DrawString("Audit log report", Font(22, bold: true), XBrushes.Black, new XRect(Margin, y, width, 28), XStringFormats.TopLeft);
        y += 40;

        var label = Font(9.5, bold: true);
        var value = Font(9.5);
        var filters = source.Filters.Count == 0
            ? "none: the whole log"
            : string.Join("; ", source.Filters.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} = {f.Value}"));
        var localNow = TimeZoneInfo.ConvertTime(source.GeneratedAt, source.Zone);
        var rows = new List<(string, string)>
        {
            ("Tenant", source.Tenant),
            ("Period", $"{source.Period.From:yyyy-MM-dd} to {source.Period.To:yyyy-MM-dd} ({source.Zone.Id})"),
            ("Filters", filters),
            ("Events", count.ToString("N0", CultureInfo.InvariantCulture)),
            ("Generated", $"{Rfc3339.Format(source.GeneratedAt)} ({localNow.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)} {source.Zone.Id})"),
            ("Log checkpoint", source.Checkpoint is { } cp
                ? $"{source.CheckpointOrigin}, {cp.Size.ToString("N0", CultureInfo.InvariantCulture)} events, root hash {Convert.ToBase64String(cp.RootHash)}"
                : "none: the tenant has no events"),
            ("Events SHA-256", sha256),
        };

        const double labelWidth = 110;
        foreach (var (name, text) in rows)
        {
            gfx.DrawString(name, label, XBrushes.Black, new XRect(Margin, y, labelWidth, 12), XStringFormats.TopLeft);
            foreach (var line in ReportText.Wrap(gfx, text, value, width - labelWidth, 6))
            {
                gfx.DrawString(line, value, XBrushes.Black, new XRect(Margin + labelWidth, y, width - labelWidth, 12), XStringFormats.TopLeft);
                y += 13;
            }

            y += 4;
        }

        y += 8;
        gfx.DrawString("Signed checkpoint", label, XBrushes.Black, new XRect(Margin, y, width, 12), XStringFormats.TopLeft);
        y += 15;
        var note = Font(8.5);
        foreach (var noteLine in (source.Checkpoint?.Note ?? "(none)").TrimEnd('\n').Split('\n'))
        {
            foreach (var line in ReportText.Wrap(gfx, noteLine.Length == 0 ? " " : noteLine, note, width - 10, 4))
            {
                gfx.DrawString(line, note, XBrushes.Black, new XRect(Margin + 10, y, width - 10, 11), XStringFormats.TopLeft);
                y += 11;
            }

            if (noteLine.Length == 0)
            {
                y += 11;
            }
        }

        y += 14;
        var small = Font(8);
        string[] explanation =
        [
            "The events follow, newest first. The Events SHA-256 is the hash of these events exactly as the JSON export (format=json with the same filters) writes them.",
            "The checkpoint is a C2SP signed note by the log's key (GET /v1/public-key). To prove that no event was changed, removed or inserted, verify an NDJSON export of the same",
            "log offline: witness verify --file export.ndjson --public-key key.pem",
        ];
        foreach (var line in explanation)
        {
            gfx.DrawString(line, small, XBrushes.DimGray, new XRect(Margin, y, width, 10), XStringFormats.TopLeft);
            y += 10.5;
        }
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
            gfx.DrawString($"Witness audit log export · {source.Tenant} · generated {Rfc3339.Format(source.GeneratedAt)}", font, XBrushes.DimGray,
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
