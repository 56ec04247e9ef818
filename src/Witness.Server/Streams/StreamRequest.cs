using System.Text.Json.Serialization;

namespace Witness.Server.Streams;

/// <summary>
/// A stream as sent to <c>/v1/streams</c> (or the console's form): what <see cref="StreamService"/> checks.
/// <see cref="StartSeq"/> and <see cref="StartTime"/> (backfill) apply only when the stream is created;
/// <see cref="Token"/> (Splunk HEC) and <see cref="Secret"/> (http) left out on an update keep the current one.
/// </summary>
internal sealed record StreamRequest
{
    public string? Name { get; init; }
    public string? Kind { get; init; }
    public string? Url { get; init; }
    public string? Format { get; init; }
    public string? Token { get; init; }
    public string? Secret { get; init; }
    public string? CaPem { get; init; }
    public string? PinnedSha256 { get; init; }
    public IReadOnlyList<string?>? Types { get; init; }
    public IReadOnlyList<string?>? Categories { get; init; }
    public string? Query { get; init; }
    public long? StartSeq { get; init; }
    public string? StartTime { get; init; }

    /// <summary>Fields sent that a stream does not have.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnknownFields { get; init; } = [];

    /// <summary>Fields sent with a value of the wrong type.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> WrongType { get; init; } = new HashSet<string>();
}
