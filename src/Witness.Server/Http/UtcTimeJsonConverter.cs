using System.Text.Json;
using System.Text.Json.Serialization;
using Witness.Events;

namespace Witness.Server.Http;

/// <summary>
/// Writes every time of an API response in the one display form (<see cref="Rfc3339.FormatFixed"/>:
/// UTC with <c>Z</c> and always six fraction digits), so checkpoints, webhooks, keys and stats read
/// alike. Reads any RFC 3339 time with an offset.
/// </summary>
internal sealed class UtcTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Rfc3339.TryParse(reader.GetString() ?? "", out var time) ? time : throw new JsonException("expected an RFC 3339 time with an offset");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.FormatFixed(value));
}
