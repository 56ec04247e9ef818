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
    /// Checks every field; returns one error per problem, each naming its field (<c>action</c>,
    /// <c>category</c>, <c>type</c>, <c>crud</c>, <c>template</c>, <c>description</c>), or none when
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
