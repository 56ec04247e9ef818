using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// Thrown when a catalog entry, a catalog file or a preset is rejected. <see cref="Errors"/> holds
/// every problem found, each naming its field (<c>actions[3].template</c> in a file);
/// <see cref="Origin"/> names the file or preset when there is one.
/// </summary>
public sealed class CatalogException : Exception
{
    public CatalogException(string? source, IReadOnlyList<ValidationError> errors)
        : base(Describe(source, errors))
    {
        Origin = source;
        Errors = errors;
    }

    /// <summary>The file, resource or preset the problem is in; null for a single entry set through code or the API.</summary>
    public string? Origin { get; }

    public IReadOnlyList<ValidationError> Errors { get; }

    private static string Describe(string? source, IReadOnlyList<ValidationError> errors)
    {
        var prefix = source is null ? "" : source + ": ";
        if (errors.Count == 0)
        {
            return prefix + "invalid catalog";
        }

        var first = $"{prefix}{errors[0].Field}: {errors[0].Message}";
        return errors.Count == 1 ? first : $"{first} (and {errors.Count - 1} more)";
    }
}
