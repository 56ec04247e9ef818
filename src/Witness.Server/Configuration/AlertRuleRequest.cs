using System.Text.Json.Serialization;

namespace Witness.Server.Configuration;

/// <summary>
/// An alert rule as sent: every field but kind and name is optional where its kind does not need it.
/// The API reads it from JSON, the console from its form; <see cref="AlertRuleService"/> checks it.
/// </summary>
internal sealed record AlertRuleRequest(string? Name, string? Kind, string? Query, int? Threshold, int? WindowMinutes, string? GroupBy, string? Dimension, bool? Enabled)
{
    /// <summary>Fields sent that a rule does not have.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnknownFields { get; init; } = [];

    /// <summary>Fields sent with a value of the wrong type (a word where a number goes), named by the service's rules.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> WrongType { get; init; } = new HashSet<string>();

    internal bool Has(string field, object? value) => value is not null || WrongType.Contains(field);
}
