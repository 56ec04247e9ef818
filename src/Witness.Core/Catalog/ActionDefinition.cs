using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// One entry of an action catalog: how events with <see cref="Action"/> are classified and described.
/// Construction does not check anything; <see cref="Validate"/> does, and the catalog refuses
/// entries that fail it.
/// </summary>
/// <param name="Action">The action name, 1–128 characters of <c>a-z 0-9 _ . : -</c>, e.g. <c>inbox.create</c>.</param>
/// <param name="Category">The category filled into events that leave it out, e.g. <c>Inboxes</c>.</param>
/// <param name="Type">The log type filled into events that leave it out: one of <see cref="LogTypes.All"/>.</param>
/// <param name="Crud">What the action does to its target: one of <see cref="CrudOperations.All"/>.</param>
/// <param name="Template">The message template rendered into the event's description, e.g. <c>Created a new inbox (#{{target.id}})</c>; see <see cref="CompiledTemplate.Compile"/>.</param>
/// <param name="Description">The short label the console's filter menus show for the action, e.g. <c>Create inbox</c>.</param>
public sealed record ActionDefinition(string Action, string Category, string Type, string Crud, string Template, string Description)
{
    /// <summary>
    /// The paths of this action's events that hold personal values besides the built-in ones
    /// (<see cref="PersonalPaths"/>: <c>targets[].name</c>, <c>metadata…</c>, <c>changes.before…</c>,
    /// <c>changes.after…</c>); their string values enter the leaf as commitments and are erased with the
    /// subject. Empty when none. Applies to events received after the entry is set.
    /// </summary>
    public IReadOnlyList<string> Personal { get; init; } = [];

    /// <summary>Equal when every field is, <see cref="Personal"/> compared path by path.</summary>
    public bool Equals(ActionDefinition? other) =>
        other is not null && Action == other.Action && Category == other.Category && Type == other.Type && Crud == other.Crud
        && Template == other.Template && Description == other.Description && Personal.SequenceEqual(other.Personal);

    public override int GetHashCode() => HashCode.Combine(Action, Category, Type, Crud, Template, Description, Personal.Count);

    /// <summary>
    /// Checks every field; returns one error per problem, each naming its field (<c>action</c>,
    /// <c>category</c>, <c>type</c>, <c>crud</c>, <c>template</c>, <c>description</c>, <c>personal[i]</c>), or none when
    /// the entry is valid. A template error includes its position and placeholder.
    /// </summary>
    public IReadOnlyList<ValidationError> Validate() => ValidateAndCompile(out _);

    internal IReadOnlyList<ValidationError> ValidateAndCompile(out CompiledTemplate? compiled)
    {
        var errors = new List<ValidationError>();
        if (!EventParser.IsValidAction(Action))
        {
            errors.Add(new("action", "must be 1–128 characters of a-z 0-9 _ . : -"));
        }

        RequireText(errors, "category", Category, EventLimits.MaxShortText);
        if (Type is null || !LogTypes.All.Contains(Type))
        {
            errors.Add(new("type", $"must be one of {string.Join(", ", LogTypes.All)}"));
        }

        if (Crud is null || !CrudOperations.All.Contains(Crud))
        {
            errors.Add(new("crud", $"must be one of {string.Join(", ", CrudOperations.All)}"));
        }

        RequireText(errors, "description", Description, EventLimits.MaxShortText);
        CheckPersonal(errors, Personal);

        compiled = null;
        if (Template is null)
        {
            errors.Add(new("template", "is required"));
        }
        else
        {
            try
            {
                compiled = CompiledTemplate.Compile(Template);
            }
            catch (TemplateException ex)
            {
                errors.Add(new("template", ex.Message));
            }
        }

        return errors;
    }

    private static void CheckPersonal(List<ValidationError> errors, IReadOnlyList<string>? personal)
    {
        if (personal is null)
        {
            errors.Add(new("personal", "must be a list of paths"));
            return;
        }

        if (personal.Count > PersonalPaths.MaxPaths)
        {
            errors.Add(new("personal", $"must hold at most {PersonalPaths.MaxPaths} paths"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < personal.Count; i++)
        {
            if (PersonalPaths.Check(personal[i]) is { } problem)
            {
                errors.Add(new($"personal[{i}]", problem));
            }
            else if (!seen.Add(personal[i]))
            {
                errors.Add(new($"personal[{i}]", $"'{personal[i]}' is listed twice"));
            }
        }
    }

    private static void RequireText(List<ValidationError> errors, string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(field, "is required"));
        }
        else if (value.Length > maxLength || value.Any(char.IsControl))
        {
            errors.Add(new(field, $"must be at most {maxLength} characters without control characters"));
        }
    }
}
