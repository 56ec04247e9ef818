using System.Buffers;
using Witness.Events;

namespace Witness.Export;

/// <summary>
/// A JSON array of the events, newest first, each exactly as <c>GET /v1/events/{id}</c> shows it: its
/// stored canonical bytes with <c>hash</c> added.
/// </summary>
public sealed class JsonExportWriter : IExportWriter
{
    private const int FlushAt = 64 * 1024;

    public string Format => "json";

    public string Extension => "json";

    public string ContentType => "application/json; charset=utf-8";

    public async Task<long> WriteAsync(ExportSource source, Stream output, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushAt * 2);
        buffer.Write("["u8);
        long rows = 0;
        await foreach (var stored in source.NewestFirstAsync(ct).ConfigureAwait(false))
        {
            if (rows++ > 0)
            {
                buffer.Write(","u8);
            }

            CanonicalEvent.WriteWithHash(buffer, stored.Body, stored.Hash);
            if (buffer.WrittenCount >= FlushAt)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        buffer.Write("]"u8);
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
        return rows;
    }
}
