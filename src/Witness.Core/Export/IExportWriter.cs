namespace Witness.Export;

/// <summary>
/// Writes one export format to a stream, incrementally: whatever the number of events, memory
/// stays flat. Implementations are stateless and safe to share.
/// </summary>
public interface IExportWriter
{
    /// <summary>The format's name as the API and CLI take it: <c>csv</c>, <c>json</c>, <c>ndjson</c>, <c>pdf</c>.</summary>
    string Format { get; }

    /// <summary>The file name extension, without the dot.</summary>
    string Extension { get; }

    /// <summary>The HTTP content type of the file.</summary>
    string ContentType { get; }

    /// <summary>
    /// Writes every event of <paramref name="source"/> to <paramref name="output"/> and returns how many
    /// were written. Throws <see cref="ExportTooLargeException"/> before writing any byte when the
    /// format cannot hold that many events.
    /// </summary>
    Task<long> WriteAsync(ExportSource source, Stream output, CancellationToken ct);
}
