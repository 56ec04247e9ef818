using System.Globalization;
using CsvHelper;

namespace Witness.Export;

/// <summary>
/// One row per event, newest first, in UTF-8 with a byte order mark so spreadsheets read accents.
/// Every cell that a spreadsheet would take for a formula (starting with <c>= + - @</c>, tab, CR or LF)
/// is prefixed with <c>'</c> as OWASP recommends; the text itself is kept.
/// </summary>
public sealed class CsvExportWriter : IExportWriter
{
    /// <summary>Rows written between flushes, so the client receives data steadily.</summary>
    private const int FlushEvery = 500;

    public string Format => "csv";

    public string Extension => "csv";

    public string ContentType => "text/csv; charset=utf-8";

    /// <summary>The column titles; the second is completed with the tenant's zone, as in <c>Local time (Europe/Rome)</c>.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "Time (UTC)", "Local time", "User", "Email", "Role", "Action", "Category", "Type", "Description", "Targets",
        "Outcome", "Reason", "IP", "Country", "User agent", "Changes", "Seq", "Event ID", "Hash",
    ];

    /// <summary>The CsvHelper settings: UTF-8 with a BOM, CRLF, formula injection neutralized for the OWASP characters and LF.</summary>
    public static CsvWriterOptions Options { get; } = new()
    {
        Injection = CsvInjection.Escape,
        InjectionCharacters = "=@+-\t\r\n",
        InjectionEscape = '\'',
        NewLine = "\r\n",
        WriteByteOrderMark = true,
    };

    public async Task<long> WriteAsync(ExportSource source, Stream output, CancellationToken ct)
    {
        var csv = CsvWriter.Create(output, Options, leaveOpen: true);
        await using (csv.ConfigureAwait(false))
        {
            foreach (var column in Columns)
            {
                csv.WriteField(column == "Local time" ? $"Local time ({source.Zone.Id})" : column);
            }

            await csv.EndRecordAsync(ct).ConfigureAwait(false);
            long rows = 0;
            await foreach (var stored in source.NewestFirstAsync(ct).ConfigureAwait(false))
            {
                var e = stored.Event;
                csv.WriteField(EventCells.TimeUtc(e));
                csv.WriteField(EventCells.TimeLocal(e, source.Zone));
                csv.WriteField(EventCells.User(e));
                csv.WriteField(e.Actor.Email);
                csv.WriteField(e.Actor.Role);
                csv.WriteField(e.Action);
                csv.WriteField(e.Category);
                csv.WriteField(e.Type);
                csv.WriteField(EventCells.Description(e));
                csv.WriteField(EventCells.Targets(e));
                csv.WriteField(e.Outcome);
                csv.WriteField(e.Reason);
                csv.WriteField(e.Context?.Ip);
                csv.WriteField(e.Context?.Location?.Country);
                csv.WriteField(e.Context?.UserAgent);
                csv.WriteField(EventCells.Changes(e));
                csv.WriteField(stored.Seq.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(e.Id);
                csv.WriteField(stored.HashHex);
                await csv.EndRecordAsync(ct).ConfigureAwait(false);
                if (++rows % FlushEvery == 0)
                {
                    await csv.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            await csv.FlushAsync(ct).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
            return rows;
        }
    }
}
