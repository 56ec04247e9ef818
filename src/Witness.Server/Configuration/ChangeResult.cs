using Witness.Events;

namespace Witness.Server.Configuration;

/// <summary>
/// What a change to a tenant's configuration came to: the value saved, or the fields that are wrong
/// (nothing saved; each error names the field as the API spells it), or nothing found to change.
/// </summary>
internal sealed record ChangeResult<T>(T? Value, IReadOnlyList<ValidationError> Errors, bool NotFound = false)
    where T : class
{
    public static ChangeResult<T> Saved(T value) => new(value, []);

    public static ChangeResult<T> Invalid(IReadOnlyList<ValidationError> errors) => new(null, errors);

    public static readonly ChangeResult<T> Missing = new(null, [], NotFound: true);
}
