using System.Buffers;
using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Storage;

namespace Witness.Server.Http;

/// <summary>
/// Writes events straight from their stored canonical bytes (plus <c>hash</c>), so what the API
/// shows is byte for byte what was hashed.
/// </summary>
internal static class EventJson
{
    public static async Task WritePageAsync(HttpResponse response, IReadOnlyList<StoredEvent> events, string? nextCursor)
    {
        response.ContentType = "application/json; charset=utf-8";
        var writer = response.BodyWriter;
        WriteEvents(writer, events.Select(e => (e.Body, e.Hash)));
        writer.Write(",\"next_cursor\":"u8);
        writer.Write(nextCursor is null ? "null"u8 : System.Text.Encoding.ASCII.GetBytes($"\"{nextCursor}\""));
        writer.Write("}"u8);
        await writer.FlushAsync(response.HttpContext.RequestAborted);
    }

    public static async Task WriteOneAsync(HttpResponse response, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> hash)
    {
        response.ContentType = "application/json; charset=utf-8";
        CanonicalEvent.WriteWithHash(response.BodyWriter, body.Span, hash.Span);
        await response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted);
    }

    /// <summary>Writes <c>{"events":[…]</c>, each event from its stored bytes plus hash; the caller closes the object.</summary>
    private static void WriteEvents(IBufferWriter<byte> writer, IEnumerable<(byte[] Body, byte[] Hash)> events)
    {
        writer.Write("{\"events\":["u8);
        var first = true;
        foreach (var (body, hash) in events)
        {
            if (!first)
            {
                writer.Write(","u8);
            }

            CanonicalEvent.WriteWithHash(writer, body, hash);
            first = false;
        }

        writer.Write("]"u8);
    }
}
