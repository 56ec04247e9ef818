using System.Text.Json.Serialization;

namespace Witness.Server.Configuration;

/// <summary>
/// The settings to change; those left out keep their value. The API reads it from the body of
/// <c>PATCH /v1/settings</c>, the console from its retention and legal hold forms; <see cref="SettingsService"/> checks it.
/// </summary>
internal sealed record SettingsChange(int? RetentionDays, string? TimeZone, bool? StrictMode, bool? LegalHold)
{
    /// <summary>Fields sent that are not settings.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnknownFields { get; init; } = [];

    /// <summary>Fields sent with a value of the wrong type (or null), named by the service's rules.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> WrongType { get; init; } = new HashSet<string>();

    /// <summary>personal_data_days (1–3650) when sent as a number.</summary>
    public int? PersonalDataDays { get; init; }

    /// <summary>personal_data_days was sent as null: personal values are kept as long as the events.</summary>
    [JsonIgnore]
    public bool KeepPersonalData { get; init; }
}
