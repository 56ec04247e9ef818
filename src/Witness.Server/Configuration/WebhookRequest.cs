using System.Text.Json.Serialization;

namespace Witness.Server.Configuration;

/// <summary>
/// A webhook as sent: url, event types, and optionally a secret (one is generated for a new webhook
/// when left out), enabled and a description. The API reads it from JSON, the console from its form;
/// <see cref="WebhookService"/> checks it.
/// </summary>
internal sealed record WebhookRequest(string? Url, string? Secret, IReadOnlyList<string?>? EventTypes, bool? Enabled, string? Description)
{
    /// <summary>Fields sent that a webhook does not have.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnknownFields { get; init; } = [];

    /// <summary>Fields sent with a value of the wrong type, named by the service's rules.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> WrongType { get; init; } = new HashSet<string>();
}
