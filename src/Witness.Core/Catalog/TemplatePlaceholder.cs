using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// One compiled placeholder: the expression between <c>{{</c> and <c>}}</c>, checked once against
/// the event model and turned into a reader, so rendering an event does no parsing.
/// </summary>
internal sealed partial class TemplatePlaceholder
{
    private const string Roots =
        "actor.*, target.*, targets[n].*, context.*, metadata.*, changes.before.*, changes.after.*, or one of action, category, type, outcome, reason, tenant";

    private static readonly string[] ActorFields = ["type", "id", "name", "email", "role"];
    private static readonly string[] TargetFields = ["type", "id", "name", "url"];
    private static readonly string[] ContextFields = ["ip", "user_agent", "source", "brand", "session_id", "request_id", "location.country", "location.city"];

    private readonly Func<AuditEvent, string?> read;

    private TemplatePlaceholder(string expression, int? targetIndex, Func<AuditEvent, string?> read)
    {
        Expression = expression;
        TargetIndex = targetIndex;
        this.read = read;
    }

    /// <summary>The expression as written, without braces and surrounding spaces, e.g. <c>targets[1].name</c>.</summary>
    public string Expression { get; }

    /// <summary>The index of the target this placeholder reads from, whose URL its value links to; null when it reads no target.</summary>
    public int? TargetIndex { get; }

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9_-]+)(?:\[(?<index>[0-9]{1,3})\])?\z")]
    private static partial Regex StepPattern();

    /// <summary>The value for the event: single-line, at most <see cref="EventLimits.MaxShortText"/> characters; null when missing or blank.</summary>
    public string? Read(AuditEvent e) => Clean(read(e));

    /// <summary>The URL of the target this placeholder reads from, when the event has that target and it has a URL.</summary>
    public string? LinkFor(AuditEvent e) =>
        TargetIndex is int index && index < e.Targets.Count ? e.Targets[index].Url : null;

    /// <summary>Compiles one expression; <paramref name="position"/> is where its <c>{{</c> starts, for error messages.</summary>
    /// <exception cref="TemplateException">The expression is malformed or names nothing an event has.</exception>
    public static TemplatePlaceholder Parse(string expression, int position)
    {
        var steps = new List<(string Name, int? Index)>();
        foreach (var part in expression.Split('.'))
        {
            var match = StepPattern().Match(part);
            if (!match.Success)
            {
                throw Error(expression, position, $"'{part}' is not a name (letters, digits, _ and -, optionally followed by an index such as [1])");
            }

            int? index = match.Groups["index"].Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : null;
            steps.Add((match.Groups["name"].Value, index));
        }

        var root = steps[0];
        if (root.Index is not null && root.Name != "targets")
        {
            throw Error(expression, position, $"'{root.Name}' cannot be indexed; only targets[n] can");
        }

        switch (root.Name)
        {
            case "actor":
                {
                    var field = SingleField(expression, position, steps, ActorFields, "actor");
                    return new(expression, null, FieldReader(field));
                }

            case "target":
            case "targets":
                {
                    if (root.Name == "targets" && root.Index is null)
                    {
                        throw Error(expression, position, "targets needs an index, e.g. targets[1].name (0-based; target is targets[0])");
                    }

                    var index = root.Index ?? 0;
                    if (index >= EventLimits.MaxTargets)
                    {
                        throw Error(expression, position, $"an event has at most {EventLimits.MaxTargets} targets, so the index must be below {EventLimits.MaxTargets}");
                    }

                    var field = SingleField(expression, position, steps, TargetFields, root.Name == "target" ? "target" : "targets[n]");
                    return new(expression, index, TargetReader(index, field));
                }

            case "context":
                {
                    var field = string.Join('.', steps.Skip(1).Select(s => s.Index is null ? s.Name : "?"));
                    if (!ContextFields.Contains(field))
                    {
                        throw Error(expression, position, $"context has {string.Join(", ", ContextFields)}");
                    }

                    return new(expression, null, ContextReader(field));
                }

            case "metadata":
                {
                    if (steps.Count < 2)
                    {
                        throw Error(expression, position, "name a key of the metadata, e.g. metadata.tag or metadata.integration.name");
                    }

                    var path = steps.Skip(1).ToArray();
                    return new(expression, null, e => ReadJson(e.Metadata, path));
                }

            case "changes":
                {
                    if (steps.Count < 3 || steps[1].Index is not null || (steps[1].Name != "before" && steps[1].Name != "after"))
                    {
                        throw Error(expression, position, "use changes.before.<field> or changes.after.<field>, e.g. changes.after.role");
                    }

                    var path = steps.Skip(2).ToArray();
                    return steps[1].Name == "before"
                        ? new(expression, null, e => ReadJson(e.Changes?.Before, path))
                        : new(expression, null, e => ReadJson(e.Changes?.After, path));
                }

            case "action" or "category" or "type" or "outcome" or "reason" or "tenant":
                if (steps.Count != 1)
                {
                    throw Error(expression, position, $"'{root.Name}' is text and has no fields; write {{{{{root.Name}}}}}");
                }

                return new(expression, null, EventReader(root.Name));

            default:
                throw Error(expression, position, $"unknown root '{root.Name}'; a placeholder is {Roots}");
        }
    }

    private static string SingleField(string expression, int position, List<(string Name, int? Index)> steps, string[] fields, string owner)
    {
        if (steps.Count != 2 || steps[1].Index is not null || !fields.Contains(steps[1].Name))
        {
            throw Error(expression, position, $"{owner} has {string.Join(", ", fields)}, e.g. {owner}.{fields[2]}");
        }

        return steps[1].Name;
    }

    private static Func<AuditEvent, string?> FieldReader(string field) => field switch
    {
        "type" => e => e.Actor.Type,
        "id" => e => e.Actor.Id,
        "name" => e => e.Actor.Name,
        "email" => e => e.Actor.Email,
        _ => e => e.Actor.Role,
    };

    private static Func<AuditEvent, string?> TargetReader(int index, string field) => field switch
    {
        "type" => e => index < e.Targets.Count ? e.Targets[index].Type : null,
        "id" => e => index < e.Targets.Count ? e.Targets[index].Id : null,
        "name" => e => index < e.Targets.Count ? e.Targets[index].Name : null,
        _ => e => index < e.Targets.Count ? e.Targets[index].Url : null,
    };

    private static Func<AuditEvent, string?> ContextReader(string field) => field switch
    {
        "ip" => e => e.Context?.Ip,
        "user_agent" => e => e.Context?.UserAgent,
        "source" => e => e.Context?.Source,
        "brand" => e => e.Context?.Brand,
        "session_id" => e => e.Context?.SessionId,
        "request_id" => e => e.Context?.RequestId,
        "location.country" => e => e.Context?.Location?.Country,
        _ => e => e.Context?.Location?.City,
    };

    private static Func<AuditEvent, string?> EventReader(string field) => field switch
    {
        "action" => e => e.Action,
        "category" => e => e.Category,
        "type" => e => e.Type,
        "outcome" => e => e.Outcome,
        "reason" => e => e.Reason,
        _ => e => e.Tenant,
    };

    private static string? ReadJson(JsonElement? root, (string Name, int? Index)[] path)
    {
        if (root is not JsonElement current)
        {
            return null;
        }

        foreach (var (name, index) in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }

            if (index is int i)
            {
                if (current.ValueKind != JsonValueKind.Array || i >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[i];
            }
        }

        return Format(current);
    }

    private static string? Format(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Number:
                return value.GetRawText();
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Array:
                // A list of plain values reads as a list ("billing, vip"); anything nested is shown as JSON.
                if (value.EnumerateArray().All(item => item.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)))
                {
                    var items = value.EnumerateArray().Select(Format).Where(item => !string.IsNullOrWhiteSpace(item)).ToList();
                    return items.Count == 0 ? null : string.Join(", ", items);
                }

                return value.GetRawText();
            case JsonValueKind.Object:
                return value.GetRawText();
            default:
                return null;
        }
    }

    /// <summary>A value as a description shows it: one line, at most <see cref="EventLimits.MaxShortText"/> characters; null when blank.</summary>
    internal static string? Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Any(char.IsControl))
        {
            // A description is one line: newlines and other control characters in a value become spaces.
            var builder = new StringBuilder(value.Length);
            foreach (var c in value)
            {
                builder.Append(char.IsControl(c) ? ' ' : c);
            }

            value = builder.ToString();
        }

        if (value.Length <= EventLimits.MaxShortText)
        {
            return value;
        }

        var keep = EventLimits.MaxShortText - 1;
        if (char.IsHighSurrogate(value[keep - 1]))
        {
            keep--;
        }

        return string.Concat(value.AsSpan(0, keep), "…");
    }

    private static TemplateException Error(string expression, int position, string problem) =>
        new($"invalid placeholder {{{{{expression}}}}} at position {position}: {problem}", position, expression);
}
