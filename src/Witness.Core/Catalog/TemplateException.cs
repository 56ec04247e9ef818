namespace Witness.Catalog;

/// <summary>
/// Thrown when a template cannot be compiled: an unclosed <c>{{</c>, an empty placeholder, or a
/// placeholder that names nothing an event has. The message says what is wrong and where.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message, int position, string? placeholder)
        : base(message)
    {
        Position = position;
        Placeholder = placeholder;
    }

    /// <summary>The 0-based character index in the template where the problem starts.</summary>
    public int Position { get; }

    /// <summary>The placeholder expression at fault (without braces), or null when the problem is not in one.</summary>
    public string? Placeholder { get; }
}
