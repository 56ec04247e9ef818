namespace Witness.Export;

/// <summary>
/// The export holds more events than its format is meant for (a PDF report); thrown before any byte
/// is written, so the caller can answer with an error instead of a broken file.
/// </summary>
public sealed class ExportTooLargeException(string format, long events, long limit)
    : Exception($"A {format.ToUpperInvariant()} export holds at most {limit:N0} events and this one matches {events:N0}; narrow the filters or choose csv, json or ndjson.")
{
    public string Format { get; } = format;
    public long Events { get; } = events;
    public long Limit { get; } = limit;
}
