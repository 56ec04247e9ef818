using Witness.Events;

namespace Witness.Server.Console;

/// <summary>
/// What every settings page shares (drawn by the <c>SettingsFrame</c>, <c>ErrorSummary</c> and
/// <c>FieldError</c> components): the tabs, and how a field's error is named and tied to its input.
/// </summary>
internal static class SettingsLayout
{
    /// <summary>The settings tabs: key, label and path.</summary>
    internal static readonly (string Key, string Label, string Path)[] Tabs =
    [
        ("retention", "Retention & legal hold", "/console/settings/retention"),
        ("alert-rules", "Alert rules", "/console/settings/alert-rules"),
        ("webhooks", "Webhooks", "/console/settings/webhooks"),
        ("streams", "Streams", "/console/settings/streams"),
        ("access", "Users & API keys", "/console/settings/access"),
    ];

    /// <summary>Attributes that tie an input to its error: <c>aria-invalid</c> and <c>aria-describedby</c>.</summary>
    public static (string?, string?) Invalid(IReadOnlyList<ValidationError> errors, string field) =>
        errors.Any(e => IsOf(e, field)) ? ("true", ErrorId(field)) : (null, null);

    /// <summary>Whether <paramref name="error"/> is about <paramref name="field"/> or one of its items (<c>event_types[1]</c>).</summary>
    public static bool IsOf(ValidationError error, string field) => error.Field == field || error.Field.StartsWith(field + "[", StringComparison.Ordinal);

    public static string Message(ValidationError error, Func<string, string> label) => $"{label(error.Field)} ({error.Field}) {error.Message}.";

    public static string ErrorId(string field) => "error-" + field.Replace('[', '-').Replace(']', '-');
}
